/**
 * `zonelb sim`: runs scenarios (built-in or JSON files) against zonelb and the baseline
 * strategies on a virtual clock, in parallel, and writes an HTML report with charts plus the
 * same numbers as JSON and CSV.
 */
import { parseArgs } from 'node:util';
import { BUILTIN_SCENARIOS } from '../sim/builtin-scenarios.ts';
import { tableRows, textTable } from '../sim/comparison.ts';
import { ProgressBar } from '../sim/progress-bar.ts';
import { runGrid, type GridRun } from '../sim/run-grid.ts';
import { writeReport, type WrittenReport } from '../sim/report-files.ts';
import { groupRuns, type SimReport } from '../sim/report-model.ts';
import { loadScenario, strategiesOf } from '../sim/scenario.ts';
import type { Scenario } from '../sim/scenario-schema.ts';
import { STRATEGY_NAMES, STRATEGY_SUMMARIES, isStrategyName, type StrategyName } from '../sim/strategies/names.ts';
import { UsageError } from './service-options.ts';

export const summary = 'simulate scenarios against zonelb and baseline strategies; write an HTML report';

export function usage(): string {
  return [
    'Usage: zonelb sim --scenario NAME|FILE [--scenario ...] [--strategies a,b,...] [--seed N] --out DIR',
    '       zonelb sim --list',
    '',
    `  ${summary}.`,
    '  Every strategy is fed the same players doing the same things; the engine runs on a virtual clock.',
    '',
    'Options:',
    '  --scenario NAME|FILE   a built-in scenario (see --list), a scenario JSON file, or "all" (every built-in);',
    '                         repeat it or separate names with commas',
    `  --strategies a,b,...   strategies to compare (default: the scenario's own list, else all but the zonelb-* variants)`,
    '  --seed N               seed for every scenario run (default: each scenario\'s own)',
    '  --out DIR              where to write report.html, results.json, summary.csv and series.csv',
    '  --threads N            worker threads (default: the cores available; 0 = run on the main thread)',
    '  --list                 list the built-in scenarios and the strategies',
    '  --help                 this text',
    '',
    'Example: zonelb sim --scenario world-boss --strategies zonelb,ring,packed --out sim-out',
  ].join('\n');
}

export function listing(): string {
  const names = Object.keys(BUILTIN_SCENARIOS);
  const w = Math.max(...names.map((n) => n.length), ...STRATEGY_NAMES.map((n) => n.length)) + 2;
  return [
    'Built-in scenarios:',
    ...names.map((n) => `  ${n.padEnd(w)}${BUILTIN_SCENARIOS[n]!.description ?? ''}`),
    '',
    'Strategies:',
    ...STRATEGY_NAMES.map((n) => `  ${n.padEnd(w)}${STRATEGY_SUMMARIES[n]}`),
  ].join('\n');
}

export interface SimArgs {
  scenarios: string[];
  strategies: StrategyName[] | undefined;
  seed: number | undefined;
  out: string;
  threads: number | undefined;
}

/** Flags to a validated request; UsageError naming the flag otherwise. */
export function parseSimArgs(argv: readonly string[]): SimArgs | 'help' | 'list' {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string', multiple: true },
        strategies: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        threads: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError(`zonelb sim: ${(e as Error).message}. Run "zonelb sim --help".`);
  }
  if (values.help) return 'help';
  if (values.list) return 'list';
  const scenarios = ((values.scenario as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (scenarios.length === 0) throw new UsageError('zonelb sim: --scenario is required (a built-in name, a JSON file, or "all"; see --list)');
  const expanded = scenarios.flatMap((s) => (s === 'all' ? Object.keys(BUILTIN_SCENARIOS) : [s]));
  if (typeof values.out !== 'string' || values.out === '') throw new UsageError('zonelb sim: --out DIR is required (where the report goes)');
  let strategies: StrategyName[] | undefined;
  if (typeof values.strategies === 'string') {
    const names = values.strategies.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (names.length === 0) throw new UsageError('--strategies: expected a comma-separated list of strategies');
    for (const n of names) if (!isStrategyName(n)) throw new UsageError(`--strategies: unknown strategy "${n}" (known: ${STRATEGY_NAMES.join(', ')})`);
    strategies = [...new Set(names)] as StrategyName[];
  }
  return {
    scenarios: [...new Set(expanded)],
    strategies,
    seed: values.seed === undefined ? undefined : integer('seed', values.seed as string, 0, 0xffffffff),
    out: values.out,
    threads: values.threads === undefined ? undefined : integer('threads', values.threads as string, 0, 256),
  };
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

export interface ProgressSink {
  update(done: readonly number[]): void;
  finish(): void;
}

/** Runs what the arguments ask for and writes the report; returns it with the files written. */
export async function simulate(a: SimArgs, command: string, progress?: (labels: string[]) => ProgressSink): Promise<{ report: SimReport; files: WrittenReport }> {
  const scenarios: Scenario[] = a.scenarios.map((name) => loadScenario(name, a.seed === undefined ? {} : { seed: a.seed }));
  const runs: GridRun[] = scenarios.flatMap((scenario) => strategiesOf(scenario, a.strategies).map((strategy) => ({ scenario, strategy })));
  const bar = progress?.(runs.map((r) => `${r.scenario.name} × ${r.strategy}`));
  const results = await runGrid(runs, { threads: a.threads, onProgress: bar ? (done) => bar.update(done) : undefined });
  bar?.finish();
  const report: SimReport = { command, generatedAt: new Date().toISOString(), scenarios: groupRuns(scenarios, results) };
  return { report, files: writeReport(a.out, report) };
}

export async function run(argv: readonly string[]): Promise<number> {
  const a = parseSimArgs(argv);
  if (a === 'help') {
    console.log(usage());
    return 0;
  }
  if (a === 'list') {
    console.log(listing());
    return 0;
  }
  const command = ['zonelb', 'sim', ...argv].map((x) => (/^[\w./,:=-]+$/.test(x) ? x : JSON.stringify(x))).join(' ');
  const { report, files } = await simulate(a, command, (labels) => new ProgressBar(process.stderr, labels));
  for (const sr of report.scenarios) {
    const { header, rows } = tableRows(sr.runs.map((r) => r.summary));
    console.log(`\n${sr.scenario.name}\n${textTable(header, rows)}`);
  }
  console.log(`\nreport: ${files.html}\ndata:   ${files.json}, ${files.summaryCsv}, ${files.seriesCsv}`);
  return 0;
}
