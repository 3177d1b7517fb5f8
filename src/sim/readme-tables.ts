/**
 * The README's simulator tables, from a report of the built-in scenarios: zonelb against its
 * goals scenario by scenario, each measure across every strategy (where each baseline fails
 * shows as its worst column), the daily cycle's scaling comparison (both targets in one table),
 * and the hot-zone timing.
 * scripts/sim-readme.ts runs the scenarios and splices this into README.md.
 */
import { columnByKey, markdownTable, type Column } from './comparison.ts';
import type { RunSummary } from './run-summary.ts';
import type { SimReport } from './report-model.ts';
import { simScaleOptions } from './scenario.ts';

const ok = (pass: boolean): string => (pass ? '✓' : '✗');

function find(report: SimReport, scenario: string, strategy: string): RunSummary | undefined {
  return report.scenarios.find((s) => s.scenario.name === scenario)?.runs.find((r) => r.summary.strategy === strategy)?.summary;
}

/** zonelb against the goals, one row per scenario that ran zonelb and the ring. */
export function goalTable(report: SimReport): string {
  const rows: string[][] = [];
  for (const sr of report.scenarios) {
    const z = find(report, sr.scenario.name, 'zonelb');
    const ring = find(report, sr.scenario.name, 'ring');
    if (!z || !ring) continue;
    const v = z.violations;
    rows.push([
      sr.scenario.name,
      `${ok(v.serverSeconds === 0)} ${Math.round(v.serverSeconds).toLocaleString('en-US')} (worst ${Math.round(v.worstUtilisation * 100)} %)`,
      deniedCell(z),
      `${ok(z.fragmentation.mean <= 1.2)} ${z.fragmentation.mean.toFixed(2)}`,
      `${ok(z.handoffRate < ring.handoffRate)} ${Math.round(z.handoffRate * 100)} % vs ${Math.round(ring.handoffRate * 100)} %`,
    ]);
  }
  return markdownTable(['scenario', 'no limit violation: server-s over', 'no join denied with room', 'fragmentation near 1', 'fewer handoffs than the ring'], rows);
}

/**
 * Joins denied while a server truly had room (✓/✗ on that count), with the true seats free then
 * and, from zonelb's own limits at those denials, the seats held for reconnects and hot zones
 * (averages), the rest its learned limits kept back, and how many denials left a takeable seat.
 */
function deniedCell(z: RunSummary): string {
  const j = z.joins;
  const head = `${ok(j.deniedWhileRoom === 0)} ${j.deniedWhileRoom.toLocaleString('en-US')}`;
  if (j.deniedWhileRoom === 0) return head;
  const free = Math.round(j.freeSeatsWhenDenied).toLocaleString('en-US');
  const l = j.limitSeatsWhenDenied;
  if (l.reconnect === null || l.hot === null) return `${head} (${free} free seats)`;
  const parts = [`${Math.round(l.reconnect)} held for reconnects`];
  if (l.hot >= 0.5) parts.push(`${Math.round(l.hot)} for hot zones`);
  const kept = j.freeSeatsWhenDenied - l.reconnect - l.hot - (l.takeable ?? 0);
  if (kept >= 0.5) parts.push(`${Math.round(kept)} kept back by its learned limits`);
  const n = j.deniedWhileAdmissible ?? 0;
  parts.push(n === 0 ? 'none takeable' : `a takeable seat at ${n.toLocaleString('en-US')} denial${n === 1 ? '' : 's'}`);
  return `${head} (${free} true seats free; by zonelb’s limits: ${parts.join(', ')})`;
}

/** One measure, scenarios down, strategies across (the scenarios that ran every strategy of the first one). */
export function pivotTable(report: SimReport, column: Column): string {
  const scenarios = report.scenarios.filter((s) => s.runs.length > 0 && !s.scenario.strategies);
  const strategies = scenarios[0]?.runs.map((r) => r.summary.strategy) ?? [];
  const rows = scenarios.map((sr) => [sr.scenario.name, ...strategies.map((name) => column.format(column.value(sr.runs.find((r) => r.summary.strategy === name)!.summary)))]);
  return markdownTable(['scenario', ...strategies], rows);
}

/**
 * The daily cycle's autoscalers side by side: a row per run of each scenario named (daily-cycle,
 * daily-cycle-lean), with the utilisation each aimed at (from the scenario's scale options).
 */
export function scalingTable(report: SimReport, scenarios: readonly string[]): string {
  const columns = ['denied', 'violationSeconds', 'worstUtilisation', 'serverHours', 'drainMoved'].map(columnByKey);
  const rows: string[][] = [];
  for (const name of scenarios) {
    const sr = report.scenarios.find((s) => s.scenario.name === name);
    if (!sr) continue;
    for (const r of sr.runs) {
      const s = r.summary;
      const mode = s.strategy === 'zonelb-reactive' ? 'reactive' : s.strategy === 'zonelb-predictive' ? 'predictive' : undefined;
      const o = simScaleOptions(sr.scenario, mode);
      const aim = o.mode === 'off' ? `fixed: ${sr.scenario.fleet.servers} servers` : `${Math.round(o.target * 100)} %`;
      rows.push([s.strategy, aim, ...columns.map((c) => c.format(c.value(s))), `${s.servers.min}–${s.servers.max}`]);
    }
  }
  return markdownTable(['strategy', 'aiming at', ...columns.map((c) => c.title), 'servers'], rows);
}

export function hotZoneLine(report: SimReport, scenario: string): string {
  const z = find(report, scenario, 'zonelb');
  if (!z) return '';
  const h = z.hotZones;
  const parts = [
    h.detectS === null ? 'never flagged the crowd’s zone' : `flagged the crowd’s zone hot ${h.detectS} s after the crowd began`,
    h.coolS === null ? 'never un-flagged it' : `un-flagged it ${Math.abs(h.coolS)} s ${h.coolS < 0 ? 'before the crowd left (its arrivals had stopped)' : 'after the crowd left'}`,
    `flagged ${h.flagged} time${h.flagged === 1 ? '' : 's'} in all`,
    `${Math.round(z.violations.serverSeconds).toLocaleString('en-US')} server-seconds over a limit (worst ${Math.round(z.violations.worstUtilisation * 100)} %)`,
  ];
  return `In \`${scenario}\`, zonelb ${parts.join(', ')}.`;
}

/** Everything between the README's markers. */
export function readmeTables(report: SimReport, command: string): string {
  const p = (key: string, title: string): string => `**${title}** (${columnByKey(key).help})\n\n${pivotTable(report, columnByKey(key))}`;
  return [
    `Produced by \`${command}\` (Node ${process.version}, seeds as in the scenarios).`,
    '',
    '**zonelb against its goals**',
    '',
    goalTable(report),
    '',
    p('violationPlayerSeconds', 'Players × seconds on a server over a limit'),
    '',
    p('worstUtilisation', 'Worst load'),
    '',
    p('deniedWhileRoom', 'Joins denied while a server had room'),
    '',
    p('fragmentation', 'Fragmentation'),
    '',
    p('handoffRate', 'Handoffs per zone crossing'),
    '',
    p('backOnServer', 'Back on their own server after a dropped connection'),
    '',
    '**Daily cycle with a raid at 20:00: a fixed fleet, reactive and predictive autoscaling** (third day; `daily-cycle`, and `daily-cycle-lean` for the rows aiming at 80 %)',
    '',
    scalingTable(report, ['daily-cycle', 'daily-cycle-lean']),
    '',
    hotZoneLine(report, 'hot-zone-flash'),
  ].join('\n');
}
