/**
 * Gateway WebSocket benchmark:  npm run bench:ws [-- flags]  (builds, then node dist-bench/bench/ws.js;
 * see bench/ws-procs.ts for why everything runs compiled)
 *
 * Servers run as child processes (`zonelb serve` and a bare uWebSockets.js echo); the load
 * generator runs in worker threads of this process. Phases, each a warm-up then a timed window:
 *   1. zonelb, closed loop, 1-join messages                → the peak 1-join message rate
 *   2. zonelb, open loop, 1-join messages at half of (1)   → p50Ms, p99Ms, p999Ms
 *      (after --settle seconds idle, so it measures half load, not the recovery from (1))
 *      (then zonelb's own per-message latency for phases 1-2, from GET /v1/stats)
 *   3. zonelb, closed loop, --batch requests per message   → assignmentsPerSec (peak)
 *   4. echo,   closed loop, the same messages               → echoPerSec (the transport's ceiling)
 *   5. echo,   open loop, 1-join messages at the rate of (2) → echoP99Ms: the latency floor of
 *      this generator, kernel and scheduler, with no work behind the socket (settled as (2))
 * Workload (--workload): churn (default) alternates, per connection, a pass of joins and a pass
 * of leaves over its own 100 000 players (reconnect window off, so leaves free their seats);
 * moves joins them once, then moves each to a neighbouring zone and back.
 * The last line printed is one JSON object with every figure.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { build, decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { statusName } from '../src/core/codes.ts';
import { machine, registerFleet, startEcho, startZonelb, type Child } from './ws-procs.ts';
import type { PhaseConfig, PhaseResult } from './ws-load-worker.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '4' },
    batch: { type: 'string', default: '1000' },
    pipeline: { type: 'string', default: '4' },
    threads: { type: 'string', default: '1' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    settle: { type: 'string', default: '3' },
    shards: { type: 'string', default: '1' },
    servers: { type: 'string', default: '100' },
    zones: { type: 'string', default: '10000' },
    rate: { type: 'string' },
    workload: { type: 'string', default: 'churn' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('npm run bench:ws -- [--connections 4] [--batch 1000] [--pipeline 4] [--threads 1] [--duration 5] [--warmup 1] [--settle 3] [--shards 1] [--servers 100] [--zones 10000] [--rate msgs/s for phases 2 and 5] [--workload churn|moves]');
  process.exit(0);
}
const num = (k: keyof typeof values): number => {
  const n = Number(values[k]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k}: expected a positive number, got ${String(values[k])}`);
  return n;
};
if (values.workload !== 'churn' && values.workload !== 'moves') throw new Error(`--workload: expected churn or moves, got ${values.workload}`);
const workload: 'churn' | 'moves' = values.workload;
if (!(Number(values.settle) >= 0)) throw new Error(`--settle: expected a number of seconds ≥ 0, got ${values.settle}`);
const settings = {
  workload,
  connections: num('connections'),
  batch: num('batch'),
  pipeline: num('pipeline'),
  threads: Math.min(num('threads'), num('connections')),
  durationSec: num('duration'),
  warmupSec: num('warmup'),
  settleSec: Number(values.settle),
  shards: num('shards'),
  servers: num('servers'),
  zones: num('zones'),
};

const m = machine();
console.log(`bench:ws  node ${m.node}  cpu ${m.cpu} x${m.cores}`);
console.log(`settings ${JSON.stringify(settings)}`);

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const workerUrl = new URL(FROM_SOURCE ? './ws-load-worker.ts' : './ws-load-worker.js', import.meta.url);

function runThread(cfg: PhaseConfig): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    // Node 20 does not apply --import loaders to a worker's entry module: register tsx inside.
    const w = FROM_SOURCE
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); })`, { eval: true, workerData: cfg })
      : new Worker(workerUrl, { workerData: cfg });
    w.once('message', (r: PhaseResult) => resolve(r));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

interface Phase {
  requestsPerSec: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  statuses: Record<string, number>;
  /** Share of one core the server used over the timed window (undefined without /proc). */
  serverCores: number | undefined;
  /** Share of one core this process (the generator) used over it. */
  generatorCores: number;
}

let playerBase = 0;

/** One phase over all threads; `rate` is the total open-loop message rate. */
async function phase(url: string, serverPid: number, o: { mode: 'closed' | 'open'; echo: boolean; batch: number; rate?: number; durationSec?: number }): Promise<Phase> {
  const t = settings.threads;
  const per = Math.floor(settings.connections / t);
  const jobs: Promise<PhaseResult>[] = [];
  for (let i = 0; i < t; i++) {
    const connections = i === t - 1 ? settings.connections - per * (t - 1) : per;
    jobs.push(
      runThread({
        mode: o.mode,
        url,
        echo: o.echo,
        connections,
        batch: o.batch,
        pipeline: settings.pipeline,
        rate: ((o.rate ?? 1) * connections) / settings.connections,
        warmupMs: settings.warmupSec * 1000,
        durationMs: (o.durationSec ?? settings.durationSec) * 1000,
        playerBase,
        zones: settings.zones,
        workload,
        serverPid,
      }),
    );
    // Fresh players each phase, far apart per thread.
    playerBase += 10_000_000;
  }
  const results = await Promise.all(jobs);
  const h = build({ useWebAssembly: false });
  let requests = 0;
  let messages = 0;
  let errors = 0;
  let elapsed = 0;
  let serverCpuMs: number | undefined = 0;
  let generatorCpuMs = 0;
  const statuses: Record<string, number> = {};
  for (const r of results) {
    h.add(decodeFromCompressedBase64(r.histogram));
    requests += r.requests;
    messages += r.messages;
    errors += r.errors;
    elapsed = Math.max(elapsed, r.elapsedMs);
    // Each thread read both over its own window; the windows coincide, so average them.
    serverCpuMs = serverCpuMs === undefined || r.serverCpuMs === undefined ? undefined : serverCpuMs + r.serverCpuMs / results.length;
    generatorCpuMs += r.generatorCpuMs / results.length;
    r.statuses.forEach((n, code) => {
      if (n > 0) statuses[statusName[code] ?? String(code)] = (statuses[statusName[code] ?? String(code)] ?? 0) + n;
    });
  }
  const ms = (us: number): number => Math.round(Math.min(us, h.maxValue)) / 1000;
  return {
    requestsPerSec: Math.round((requests * 1000) / elapsed),
    messagesPerSec: Math.round((messages * 1000) / elapsed),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
    errors,
    statuses,
    serverCores: serverCpuMs === undefined ? undefined : serverCpuMs / elapsed,
    generatorCores: generatorCpuMs / elapsed,
  };
}

/** Server CPU time per message over a phase, in microseconds (undefined without /proc). */
function usPerMessage(p: Phase): number | undefined {
  return p.serverCores === undefined ? undefined : Math.round((p.serverCores * 1e7) / p.messagesPerSec) / 10;
}

function line(name: string, p: Phase): void {
  console.log(
    `${name.padEnd(44)} ${String(p.requestsPerSec).padStart(10)} req/s ${String(p.messagesPerSec).padStart(8)} msg/s  ` +
      `p50 ${p.p50Ms} ms  p99 ${p.p99Ms} ms  p99.9 ${p.p999Ms} ms  max ${p.maxMs} ms` +
      `  cores: server ${p.serverCores?.toFixed(2) ?? '?'} generator ${p.generatorCores.toFixed(2)}` +
      `${p.errors ? `  errors ${p.errors}` : ''}${Object.keys(p.statuses).length ? `  ${JSON.stringify(p.statuses)}` : ''}`,
  );
}

const children: Child[] = [];
try {
  const zonelb = await startZonelb([
    '--shards', String(settings.shards),
    '--reconnect-ms', '0',
    // Servers never go silent during a run (no heartbeats are sent).
    '--suspect-after-ms', '3600000', '--dead-after-ms', '3600000',
    '--players-per-server', '100000',
    // The default maxBatch (65536) also sizes the worker shards' mailboxes (2 × maxBatch).
    ...(settings.batch > 65536 ? ['--max-batch', String(settings.batch)] : []),
  ]);
  children.push(zonelb);
  await registerFleet(`http://127.0.0.1:${zonelb.port}`, settings.servers);
  const echo = await startEcho();
  children.push(echo);
  const zUrl = `ws://127.0.0.1:${zonelb.port}/v1/gateway`;
  const eUrl = `ws://127.0.0.1:${echo.port}/echo`;

  // 1-join phases first, so zonelb's own latency figures (GET /v1/stats) cover only them.
  const single = await phase(zUrl, zonelb.proc.pid!, { mode: 'closed', echo: false, batch: 1 });
  line('zonelb closed loop, 1/message', single);
  const rate = values.rate ? num('rate') : Math.max(1, Math.round(single.messagesPerSec / 2));
  // Let both processes settle after the saturating phase: its garbage, the memory reducers of
  // idle isolates and late compilation otherwise land in the open loop's first seconds and
  // are charged to "latency at half load" (p99 2-6 ms with --settle 0, below 1-2 ms after 3 s).
  await new Promise((r) => setTimeout(r, settings.settleSec * 1000));
  const open = await phase(zUrl, zonelb.proc.pid!, { mode: 'open', echo: false, batch: 1, rate });
  line(`zonelb open loop, 1/message at ${rate} msg/s`, open);
  // zonelb's own view (receipt of a frame to its reply handed to the socket) over the two
  // 1-join phases: separates time in zonelb from time in the kernel, generator and scheduler.
  const stats = (await (await fetch(`http://127.0.0.1:${zonelb.port}/v1/stats`)).json()) as { batchLatency: { p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number } };
  const inside = stats.batchLatency;
  console.log(`${'zonelb server-side, 1/message phases'.padEnd(44)} p50 ${inside.p50Ms} ms  p99 ${inside.p99Ms} ms  p99.9 ${inside.p999Ms} ms  max ${inside.maxMs} ms`);
  const peak = await phase(zUrl, zonelb.proc.pid!, { mode: 'closed', echo: false, batch: settings.batch });
  line(`zonelb closed loop, ${settings.batch}/message`, peak);
  const echoPeak = await phase(eUrl, echo.proc.pid!, { mode: 'closed', echo: true, batch: settings.batch });
  line(`echo   closed loop, ${settings.batch}/message`, echoPeak);
  await new Promise((r) => setTimeout(r, settings.settleSec * 1000)); // as before phase 2
  const echoOpen = await phase(eUrl, echo.proc.pid!, { mode: 'open', echo: true, batch: 1, rate });
  line(`echo   open loop, 1/message at ${rate} msg/s`, echoOpen);

  const result = {
    assignmentsPerSec: peak.requestsPerSec,
    echoPerSec: echoPeak.requestsPerSec,
    ratio: Math.round((peak.requestsPerSec / echoPeak.requestsPerSec) * 1000) / 1000,
    p50Ms: open.p50Ms,
    p99Ms: open.p99Ms,
    p999Ms: open.p999Ms,
    echoP50Ms: echoOpen.p50Ms,
    echoP99Ms: echoOpen.p99Ms,
    echoP999Ms: echoOpen.p999Ms,
    openLoopRate: rate,
    openLoopAchievedPerSec: open.messagesPerSec,
    oneJoinPeakMessagesPerSec: single.messagesPerSec,
    statuses: peak.statuses,
    serverSideP99Ms: inside.p99Ms,
    // CPU each server spent per 1-join message in its open loop, and the generator's share of
    // a core there: at half load on two cores, what is left for the threads that wake up.
    zonelbCpuUsPerMessage: usPerMessage(open),
    echoCpuUsPerMessage: usPerMessage(echoOpen),
    openLoopGeneratorCores: Math.round(open.generatorCores * 100) / 100,
    serverSideP999Ms: inside.p999Ms,
    node: m.node,
    cpu: m.cpu,
    cores: m.cores,
    settings,
  };
  console.log(JSON.stringify(result));
} finally {
  for (const c of children) await c.stop();
}
