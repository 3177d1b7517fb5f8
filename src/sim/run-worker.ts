/**
 * The piscina worker: one run per task. The scenario arrives already validated (plain data);
 * progress goes back through the MessagePort the task carries.
 */
import type { MessagePort } from 'node:worker_threads';
import { runScenario, type RunResult } from './run.ts';
import type { Scenario } from './scenario-schema.ts';
import type { StrategyName } from './strategies/names.ts';

export interface RunTask {
  scenario: Scenario;
  strategy: StrategyName;
  /** Receives the share of the run done (0..1). */
  progress?: MessagePort;
}

export default async function runTask(task: RunTask): Promise<RunResult> {
  const port = task.progress;
  try {
    return await runScenario(task.scenario, task.strategy, { onProgress: port ? (f) => port.postMessage(f) : undefined });
  } finally {
    port?.close();
  }
}
