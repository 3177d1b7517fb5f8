/**
 * The report: one self-contained HTML file holding the comparison table and the charts' data
 * (the same numbers as results.json), plus CSV files of the same numbers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../src/cli/sim.ts';
import { COLUMNS } from '../src/sim/comparison.ts';
import type { SimReport } from '../src/sim/report-model.ts';
import { scriptJson } from '../src/sim/report-html.ts';
import { columnByKey } from '../src/sim/comparison.ts';
import { goalTable, pivotTable, readmeTables, scalingTable } from '../src/sim/readme-tables.ts';
import { SERIES_KEYS } from '../src/sim/run-summary.ts';

const dir = mkdtempSync(join(tmpdir(), 'zonelb-report-'));
const scenarioFile = join(dir, 'tiny-crash.json');
writeFileSync(
  scenarioFile,
  JSON.stringify({
    name: 'tiny-crash',
    description: 'A <small> world & one crash',
    durationS: 300,
    world: { grid: { width: 3, height: 3 }, players: 200, warmupS: 30 },
    fleet: { servers: 3 },
    events: [{ type: 'crash', at: 150 }],
  }),
);

let report: SimReport;
let html: string;
let files: Awaited<ReturnType<typeof simulate>>['files'];

beforeAll(async () => {
  const out = await simulate({ scenarios: [scenarioFile], strategies: ['zonelb', 'ring', 'packed'], seed: undefined, out: join(dir, 'out'), threads: 0 }, 'zonelb sim --scenario tiny-crash.json');
  report = out.report;
  files = out.files;
  html = readFileSync(files.html, 'utf8');
});

describe('the HTML report', () => {
  it('holds the comparison table: a row per strategy, a column per measure, the numbers of the summary', () => {
    expect(html).toContain('<table class="comparison">');
    for (const c of COLUMNS) expect(html).toContain(`>${c.title}</th>`);
    for (const run of report.scenarios[0]!.runs) {
      const s = run.summary;
      const row = html.split('<tr').find((r) => r.includes(`<td>${s.strategy}</td>`));
      expect(row, s.strategy).toBeDefined();
      expect(row).toContain(`<td>${Math.round(s.violations.serverSeconds).toLocaleString('en-US')}</td>`);
      expect(row).toContain(`<td>${s.fragmentation.mean.toFixed(2)}</td>`);
    }
  });

  it('embeds the charts’ data: every series of every run, as in results.json', () => {
    const m = /<script id="zonelb-data" type="application\/json">(.*?)<\/script>/s.exec(html);
    expect(m).not.toBeNull();
    const data = JSON.parse(m![1]!) as { scenarios: { name: string; marks: { kind: string }[]; runs: { strategy: string; series: Record<string, number[]> }[] }[] };
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as SimReport;
    expect(data.scenarios.map((s) => s.name)).toEqual(['tiny-crash']);
    const runs = data.scenarios[0]!.runs;
    expect(runs.map((r) => r.strategy)).toEqual(['zonelb', 'ring', 'packed']);
    for (let i = 0; i < runs.length; i++) {
      expect(runs[i]!.series).toEqual(json.scenarios[0]!.runs[i]!.series);
      for (const k of SERIES_KEYS) expect(runs[i]!.series[k]!.length).toBe(30);
    }
    expect(data.scenarios[0]!.marks.map((x) => x.kind)).toEqual(['crash']);
  });

  it('is self-contained: uPlot and the page script inline, nothing fetched from anywhere', () => {
    expect(html).toContain('uPlot');
    expect(html).toMatch(/CHARTS = \[/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    // The description is escaped, not markup.
    expect(html).toContain('A &#60;small&#62; world &#38; one crash');
  });

  it('keeps data that looks like markup from closing its script element', () => {
    expect(scriptJson({ a: '</script><script>alert(1)</script>' })).not.toContain('</script>');
    expect(JSON.parse(scriptJson({ a: '</script>' }))).toEqual({ a: '</script>' });
  });
});

describe('the JSON and CSV files', () => {
  it('results.json holds the scenario as run, each run’s summary, timing, series and events', () => {
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as SimReport;
    expect(json.command).toBe('zonelb sim --scenario tiny-crash.json');
    expect(json.scenarios[0]!.scenario.fleet.servers).toBe(3);
    expect(json.scenarios[0]!.runs[0]!.summary.failover.crashes).toBe(1);
    expect(json.scenarios[0]!.runs[0]!.timing.latencyUs.count).toBeGreaterThan(0);
  });

  it('summary.csv has a row per run with every summary field; series.csv a row per chart point', () => {
    const summary = readFileSync(files.summaryCsv, 'utf8').trim().split('\n');
    expect(summary).toHaveLength(4);
    const header = summary[0]!.split(',');
    expect(header).toContain('violations.playerSeconds');
    expect(header).toContain('joins.deniedWhileRoom');
    expect(header).toContain('timing.latencyUs.p99');
    const ring = summary.find((l) => l.startsWith('tiny-crash,ring,'))!.split(',');
    expect(Number(ring[header.indexOf('failover.crashes')])).toBe(1);
    const series = readFileSync(files.seriesCsv, 'utf8').trim().split('\n');
    expect(series[0]).toBe(['scenario', 'strategy', 't', ...SERIES_KEYS].join(','));
    expect(series).toHaveLength(1 + 3 * 30);
  });
});

describe('the README tables', () => {
  it('mark each of zonelb’s goals met or missed from the numbers', () => {
    const z = report.scenarios[0]!.runs.find((r) => r.summary.strategy === 'zonelb')!.summary;
    const ring = report.scenarios[0]!.runs.find((r) => r.summary.strategy === 'ring')!.summary;
    const row = goalTable(report).split('\n')[2]!.split(' | ');
    expect(row[0]).toBe('| tiny-crash');
    expect(row[1]!.startsWith(z.violations.serverSeconds === 0 ? '✓' : '✗')).toBe(true);
    expect(row[2]!.startsWith(z.joins.deniedWhileRoom === 0 ? '✓' : '✗')).toBe(true);
    expect(row[4]).toContain(`${Math.round(z.handoffRate * 100)} % vs ${Math.round(ring.handoffRate * 100)} %`);
  });

  it('lay one measure out with scenarios down and strategies across', () => {
    const t = pivotTable(report, columnByKey('fragmentation')).split('\n');
    expect(t[0]).toBe('| scenario | zonelb | ring | packed |');
    expect(t[2]).toMatch(/^\| tiny-crash \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \|$/);
    expect(readmeTables(report, 'npm run sim:readme')).toContain('Produced by `npm run sim:readme`');
  });

  it('sets the autoscalers side by side with the utilisation each aimed at, and a fixed fleet with its size', async () => {
    const file = join(dir, 'tiny-scaling.json');
    writeFileSync(file, JSON.stringify({ name: 'tiny-scaling', durationS: 300, world: { grid: { width: 3, height: 3 }, players: 200, warmupS: 30 }, fleet: { servers: 3 }, scale: { target: 0.6, band: 0.1 } }));
    const out = await simulate({ scenarios: [file], strategies: ['zonelb', 'zonelb-predictive'], seed: undefined, out: join(dir, 'out-scaling'), threads: 0 }, 'zonelb sim');
    const t = scalingTable(out.report, ['tiny-scaling', 'not-run']).split('\n');
    expect(t[0]).toBe('| strategy | aiming at | queued / refused | over-limit server-s | worst load | server-hours | drain moves | servers |');
    expect(t).toHaveLength(4);
    expect(t[2]).toMatch(/^\| zonelb \| fixed: 3 servers \| [\d,]+ \| [\d,]+ \| \d+ % \| \d+\.\d \| [\d,]+ \| 3–3 \|$/);
    expect(t[3]).toMatch(/^\| zonelb-predictive \| 60 % \| /);
  });
});
