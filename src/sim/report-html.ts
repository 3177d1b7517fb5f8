/**
 * The HTML report: one self-contained page (uPlot and the page's own script and style inlined
 * from node_modules and src/sim/report/, the run data embedded as JSON: it opens from disk,
 * offline, and can be mailed as one file). The comparison tables are plain HTML, readable
 * without the script; the charts are drawn from the embedded series.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { COLUMNS, tableRows } from './comparison.ts';
import type { SimReport } from './report-model.ts';

/** The page's own files: the same folder whether this runs from src/sim (tsx) or dist/sim (built). */
const PAGE_DIR = new URL('../../src/sim/report/', import.meta.url);
/** Events listed per scenario; the rest are in the JSON. */
const MAX_EVENTS = 40;
/** Hot-zone flags and cools listed per run; past this many, only counted. */
const MAX_HOT_LINES = 6;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element: no "</script>", no "<!--". */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function inlineScript(js: string): string {
  // A script body must not close its own element early.
  return js.replace(/<\/script/gi, '<\\/script');
}

export function renderHtml(report: SimReport): string {
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const page = (name: string): string => readFileSync(fileURLToPath(new URL(name, PAGE_DIR)), 'utf8');
  const data = {
    scenarios: report.scenarios.map((sr) => ({
      name: sr.scenario.name,
      // The scenario's own events: the same in every run, so they can be drawn on shared charts.
      marks: sr.runs[0]?.marks.filter((m) => m.source === 'scenario') ?? [],
      runs: sr.runs.map((r) => ({ strategy: r.summary.strategy, series: r.series })),
    })),
  };
  const sections = report.scenarios.map((sr) => {
    const s = sr.scenario;
    const { header, rows } = tableRows(sr.runs.map((r) => r.summary));
    const table = [
      '<div class="scroll"><table class="comparison">',
      `<thead><tr>${header.map((h, i) => `<th title="${esc(i === 0 ? '' : COLUMNS[i - 1]!.help)}">${esc(h)}</th>`).join('')}</tr></thead>`,
      '<tbody>',
      ...rows.map((r) => `<tr class="${r[0]!.startsWith('zonelb') ? 'zonelb' : ''}">${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`),
      '</tbody></table></div>',
    ].join('\n');
    // Scenario events once; what each strategy's control plane did, marked with the strategy.
    const events = new Map<string, { t: number; html: string }>();
    for (const r of sr.runs) {
      // A strategy that flags many hot zones gets a count (below the table), not a line each.
      const hotMarks = r.marks.filter((m) => m.kind === 'hot' || m.kind === 'cool').length;
      for (const m of r.marks) {
        if (m.minor || (hotMarks > MAX_HOT_LINES && (m.kind === 'hot' || m.kind === 'cool'))) continue;
        const key = m.source === 'scenario' ? `${m.t}|${m.label}` : `${m.t}|${m.label}|${r.summary.strategy}`;
        const who = m.source === 'scenario' ? '' : ` <i>(${esc(r.summary.strategy)})</i>`;
        if (!events.has(key)) events.set(key, { t: m.t, html: `<li><b>${esc(clock(m.t))}</b> ${esc(m.label)}${who}</li>` });
      }
    }
    const all = [...events.values()].sort((a, b) => a.t - b.t).map((e) => e.html);
    const eventList = all.length > MAX_EVENTS ? [...all.slice(0, MAX_EVENTS), `<li>… ${all.length - MAX_EVENTS} more (all in results.json)</li>`] : all;
    const timing = [
      '<details class="legend"><summary>Decision time and failover (wall clock on the machine that ran it)</summary>',
      '<div class="scroll"><table class="comparison">',
      '<thead><tr><th>strategy</th><th>decisions</th><th>p50 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th><th>longest failover ms</th><th>run s</th></tr></thead><tbody>',
      ...sr.runs.map((r) => {
        const l = r.timing.latencyUs;
        const cells = [r.summary.strategy, l.count.toLocaleString('en-US'), l.p50.toFixed(2), l.p99.toFixed(2), l.p999.toFixed(2), l.max.toFixed(0), r.timing.failoverWallMs.toFixed(2), (r.timing.wallMs / 1000).toFixed(1)];
        return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
      }),
      '</tbody></table></div></details>',
    ].join('\n');
    const hot = sr.runs.filter((r) => r.summary.hotZones.flagged > 0);
    const hotLine =
      hot.length > 0
        ? `<p class="meta">Hot zones: ${hot.map((r) => `${esc(r.summary.strategy)} flagged ${r.summary.hotZones.flagged} (cooled ${r.summary.hotZones.cooled})${r.summary.hotZones.detectS !== null ? `, the crowd's zone ${r.summary.hotZones.detectS} s after it began` : ''}${coolText(r.summary.hotZones.coolS)}`).join('; ')}.</p>`
        : '';
    const w = s.world;
    return [
      `<section id="scenario-${esc(s.name)}">`,
      `<h2>${esc(s.name)}</h2>`,
      s.description ? `<p class="description">${esc(s.description)}</p>` : '',
      `<p class="meta">${esc(`${(w.grid ? w.grid.width * w.grid.height : w.map ? Object.keys(w.map).length : 100).toLocaleString('en-US')} zones, ~${w.players} players, ${s.fleet.servers} servers at the start, ${clock(s.durationS)} simulated in ${s.tickS} s ticks, seed ${s.seed}${s.measureFromS > 0 ? `; measured from ${clock(s.measureFromS)}` : ''}`)}</p>`,
      eventList.length > 0 ? `<ul class="events">${eventList.join('')}</ul>` : '',
      table,
      hotLine,
      timing,
      `<div class="charts" id="charts-${esc(s.name)}"></div>`,
      '</section>',
    ].join('\n');
  });
  const legend = `<details class="legend"><summary>What the columns mean</summary><dl>${COLUMNS.map((c) => `<dt>${esc(c.title)}</dt><dd>${esc(c.help)}</dd>`).join('')}</dl></details>`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>zonelb simulation: ${esc(report.scenarios.map((s) => s.scenario.name).join(', '))}</title>`,
    `<style>${uplotCss}</style>`,
    `<style>${page('report.css')}</style>`,
    '</head><body><main>',
    '<h1>zonelb simulation</h1>',
    `<p class="meta"><code>${esc(report.command)}</code> · ${esc(report.generatedAt)}</p>`,
    '<p class="meta">Every strategy was fed the same players doing the same things (same seed); limits are judged on each server’s true usage, not on what it reports.</p>',
    legend,
    ...sections,
    `<script id="zonelb-data" type="application/json">${scriptJson(data)}</script>`,
    `<script>${inlineScript(uplotJs)}</script>`,
    `<script>${inlineScript(page('report.js'))}</script>`,
    '</main></body></html>',
    '',
  ].join('\n');
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

function coolText(coolS: number | null): string {
  if (coolS === null) return '';
  return coolS < 0 ? `, cooled ${-coolS} s before it ended (its arrivals had stopped)` : `, cooled ${coolS} s after it ended`;
}
