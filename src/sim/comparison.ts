/**
 * The comparison table: which numbers of a run summary stand side by side, how they are
 * written, and which way is better. The HTML report, the terminal and the README all render
 * these same columns.
 */
import type { RunSummary } from './run-summary.ts';

export interface Column {
  key: string;
  /** Short header, and what it means (the report's footnotes, the README's legend). */
  title: string;
  help: string;
  value(s: RunSummary): number | null;
  format(v: number | null): string;
}

const int = (v: number | null): string => (v === null ? '—' : Math.round(v).toLocaleString('en-US'));
const fixed = (digits: number) => (v: number | null): string => (v === null ? '—' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '—' : `${Math.round(v * 100)} %`);

export const COLUMNS: readonly Column[] = [
  {
    key: 'violationSeconds',
    title: 'over-limit server-s',
    help: 'seconds servers spent over a limit (true CPU ≥ 80 %, memory ≥ 90 % or players over the cap), summed over servers',
    value: (s) => s.violations.serverSeconds,
    format: int,
  },
  {
    key: 'violationPlayerSeconds',
    title: 'over-limit player-s',
    help: 'players on a server over a limit × seconds',
    value: (s) => s.violations.playerSeconds,
    format: int,
  },
  {
    key: 'worstUtilisation',
    title: 'worst load',
    help: 'highest true load any server reached, as a share of its nearest limit (100 % = at the limit)',
    value: (s) => s.violations.worstUtilisation,
    format: pct,
  },
  {
    key: 'deniedWhileRoom',
    title: 'denied with room',
    help: 'joins refused or queued while some server, by its true usage, had room for one more player',
    value: (s) => s.joins.deniedWhileRoom,
    format: int,
  },
  {
    key: 'freeSeatsWhenDenied',
    title: 'free seats then',
    help: 'the true seats the fleet had left when those joins were denied, on average (a few: limits within noise of the truth; hundreds: room left unused)',
    value: (s) => (s.joins.deniedWhileRoom > 0 ? s.joins.freeSeatsWhenDenied : null),
    format: int,
  },
  {
    key: 'denied',
    title: 'queued / refused',
    help: 'joins queued or refused in all (a refused player retries every retryS, each retry counts)',
    value: (s) => s.joins.queued + s.joins.refused,
    format: int,
  },
  {
    key: 'fragmentation',
    title: 'fragmentation',
    help: 'servers hosting each zone over the fewest its population needs, summed over zones, mean over time (1 = every zone on as few servers as it needs; below 1, crowded zones are crammed onto fewer servers than they need)',
    value: (s) => s.fragmentation.mean,
    format: fixed(2),
  },
  {
    key: 'handoffRate',
    title: 'handoffs',
    help: 'share of zone crossings (a player walking into another zone) that moved the player to another server',
    value: (s) => (s.crossings > 0 ? s.handoffRate : null),
    format: pct,
  },
  {
    key: 'backOnServer',
    title: 'back on own server',
    help: 'share of players back from a dropped connection who were seated on the server they had, where their session is',
    value: (s) => (s.joins.returned > 0 ? s.joins.returnedToServer / s.joins.returned : null),
    format: pct,
  },
  {
    key: 'failoverMoved',
    title: 'failover moves',
    help: 'players re-placed (or queued) off crashed servers',
    value: (s) => s.moved.failover,
    format: int,
  },
  {
    key: 'failoverS',
    title: 'failover s',
    help: 'longest time from a crash until its server held no player (detection included)',
    value: (s) => (s.failover.crashes > 0 ? s.failover.maxS : null),
    format: fixed(1),
  },
  {
    key: 'drainMoved',
    title: 'drain moves',
    help: 'players moved off draining servers (the only rebalancing of placed players any strategy here does)',
    value: (s) => s.moved.drain,
    format: int,
  },
  {
    key: 'imbalance',
    title: 'imbalance',
    help: 'most loaded server over the weighted mean load, mean over time (1 = perfectly even)',
    value: (s) => s.imbalance.mean,
    format: fixed(2),
  },
  {
    key: 'serverHours',
    title: 'server-hours',
    help: 'servers booting, up or draining, × hours (measured part of the run)',
    value: (s) => s.serverHours,
    format: fixed(1),
  },
];

export function columnByKey(key: string): Column {
  const c = COLUMNS.find((x) => x.key === key);
  if (!c) throw new Error(`no comparison column "${key}"`);
  return c;
}

/** The table for some runs of one scenario: a row per strategy. */
export function tableRows(summaries: readonly RunSummary[], columns: readonly Column[] = COLUMNS): { header: string[]; rows: string[][] } {
  return {
    header: ['strategy', ...columns.map((c) => c.title)],
    rows: summaries.map((s) => [s.strategy, ...columns.map((c) => c.format(c.value(s)))]),
  };
}

/** Plain-text table with aligned columns (the terminal). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** GitHub markdown table (numbers right-aligned). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
