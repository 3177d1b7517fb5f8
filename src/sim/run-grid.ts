/**
 * Runs scenarios × strategies in parallel in a piscina pool (one run per task, one thread per
 * core by default), reporting progress as runs advance. Results come back in the order the
 * runs were asked for, whatever order they finish in. With `threads: 0` everything runs on
 * this thread instead (for debugging, and for callers that already are a worker).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { runScenario, type RunResult } from './run.ts';
import type { RunTask } from './run-worker.ts';
import type { Scenario } from './scenario-schema.ts';
import type { StrategyName } from './strategies/names.ts';

export interface GridRun {
  scenario: Scenario;
  strategy: StrategyName;
}

export interface GridOptions {
  /** Worker threads (default: the cores available, at most the number of runs); 0 runs on this thread. */
  threads?: number;
  /** Called as runs advance: the share of each run done, by index. */
  onProgress?: (done: readonly number[]) => void;
}

/** Running from TypeScript source (tests, tsx): the workers must load the .ts entry through tsx too. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

export async function runGrid(runs: readonly GridRun[], options: GridOptions = {}): Promise<RunResult[]> {
  const done = runs.map(() => 0);
  const report = (i: number, f: number): void => {
    done[i] = f;
    options.onProgress?.(done);
  };
  const threads = Math.min(options.threads ?? availableParallelism(), runs.length);
  if (threads <= 0) {
    const out: RunResult[] = [];
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      out.push(await runScenario(r.scenario, r.strategy, { onProgress: (f) => report(i, f) }));
      report(i, 1);
    }
    return out;
  }
  const pool = new Piscina<RunTask, RunResult>({
    filename: new URL(FROM_SOURCE ? './run-worker.ts' : './run-worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    ...(FROM_SOURCE ? { execArgv: ['--import', 'tsx'] } : {}),
  });
  try {
    return await Promise.all(
      runs.map(async (r, i) => {
        const { port1, port2 } = new MessageChannel();
        port1.on('message', (f: number) => report(i, f));
        try {
          const result = await pool.run({ scenario: r.scenario, strategy: r.strategy, progress: port2 }, { transferList: [port2] });
          report(i, 1);
          return result;
        } finally {
          port1.close();
        }
      }),
    );
  } finally {
    await pool.destroy();
  }
}
