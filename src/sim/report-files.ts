/**
 * Writes a report to a folder: report.html (charts and tables), results.json (everything:
 * the scenarios as run, each run's summary, timing, series and events) and two CSV files of
 * the same numbers (summary.csv: a row per run; series.csv: a row per chart point per run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERIES_KEYS } from './run-summary.ts';
import { renderHtml } from './report-html.ts';
import type { SimReport } from './report-model.ts';

export interface WrittenReport {
  html: string;
  json: string;
  summaryCsv: string;
  seriesCsv: string;
}

export function writeReport(dir: string, report: SimReport): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const out: WrittenReport = {
    html: join(dir, 'report.html'),
    json: join(dir, 'results.json'),
    summaryCsv: join(dir, 'summary.csv'),
    seriesCsv: join(dir, 'series.csv'),
  };
  writeFileSync(out.html, renderHtml(report));
  writeFileSync(out.json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(out.summaryCsv, summaryCsv(report));
  writeFileSync(out.seriesCsv, seriesCsv(report));
  return out;
}

/** Leaves of a nested object as dotted paths, in a stable order. */
function flatten(value: unknown, prefix = '', out: [string, unknown][] = []): [string, unknown][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, value]);
  }
  return out;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function summaryCsv(report: SimReport): string {
  const rows = report.scenarios.flatMap((sr) => sr.runs.map((r) => flatten({ ...r.summary, timing: r.timing })));
  if (rows.length === 0) return '';
  const header = rows[0]!.map(([k]) => k);
  return `${[header.join(','), ...rows.map((r) => r.map(([, v]) => cell(v)).join(','))].join('\n')}\n`;
}

export function seriesCsv(report: SimReport): string {
  const lines = [['scenario', 'strategy', 't', ...SERIES_KEYS].join(',')];
  for (const sr of report.scenarios) {
    for (const r of sr.runs) {
      const s = r.series;
      for (let i = 0; i < s.t.length; i++) lines.push([cell(sr.scenario.name), cell(r.summary.strategy), s.t[i], ...SERIES_KEYS.map((k) => s[k][i])].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
