/** What a `zonelb sim` invocation produced: its runs grouped by scenario, as every output format takes it. */
import type { RunResult } from './run.ts';
import type { Scenario } from './scenario-schema.ts';

export interface ScenarioRuns {
  scenario: Scenario;
  /** One per strategy, in the order asked for. */
  runs: RunResult[];
}

export interface SimReport {
  /** The command line that produced it. */
  command: string;
  /** ISO time it was written (the only part of a report that changes between identical runs). */
  generatedAt: string;
  scenarios: ScenarioRuns[];
}

/** Groups results (in the order of `scenarios` × strategies) by scenario. */
export function groupRuns(scenarios: readonly Scenario[], results: readonly RunResult[]): ScenarioRuns[] {
  return scenarios.map((scenario) => ({ scenario, runs: results.filter((r) => r.summary.scenario === scenario.name) }));
}
