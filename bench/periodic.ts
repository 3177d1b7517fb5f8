/**
 * Periodic main-thread work benchmark (not a test): `npm run bench:periodic`.
 * `zonelb serve` runs a few jobs on the thread that also answers gateways: the hot-zone and
 * forecast step (every second), the zone census sample (every 2 s) and the dashboard frame's
 * latency windows (every second). While one runs, a gateway's batch waits. This times each
 * alone, with the engine's default id space (maxZones 262 144) and a world using the first
 * `--zones` ids, the shape of most games (ids 0..n). Median of 15 runs after 40 warm-ups. The
 * scaling step and the census yield between slices of zones on big worlds: for them the longest
 * stretch without a turn of the event loop is what a gateway feels, and is given too.
 * Last line: one JSON object.
 * Flags: --zones N (default 10 000), --players N (default 200 000).
 */
import { parseArgs } from 'node:util';
import { build } from 'hdr-histogram-js';
import { Op, createEngine, type ResultSink } from '../src/index.ts';
import { LatencyWindow } from '../src/obs/latency-window.ts';
import { ZoneCensus } from '../src/obs/zone-census.ts';
import { ScaleController } from '../src/scale/scale-controller.ts';
import { resolveScaleOptions } from '../src/scale/scale-options.ts';
import { banner, fmt, nowMs, rng } from './bench-util.ts';

const { values: flags } = parseArgs({ options: { zones: { type: 'string' }, players: { type: 'string' } } });
const ZONES = Number(flags.zones ?? 10_000);
const PLAYERS = Number(flags.players ?? 200_000);
const SERVERS = 100;
const BATCH = 10_000;
// Enough runs for V8 to optimise each job, as it has long done in a service that runs for days.
const WARM = 40;
const RUNS = 15;

banner('zonelb periodic main-thread work');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(f: () => unknown): Promise<{ medianMs: number; maxMs: number }> {
  const ms: number[] = [];
  for (let i = 0; i < WARM + RUNS; i++) {
    const t = nowMs();
    await f();
    if (i >= WARM) ms.push(nowMs() - t);
  }
  return { medianMs: Number(median(ms).toFixed(3)), maxMs: Number(Math.max(...ms).toFixed(3)) };
}

const engine = await createEngine({ shards: 1, reconnectMs: 0, limits: { playersPerServer: 100_000 } }, { autoTick: false });
console.log(`world: ${fmt(SERVERS)} servers, ${fmt(ZONES)} zones used of ${fmt(engine.options.maxZones)} ids, ${fmt(PLAYERS)} players, 1 shard`);
for (let i = 0; i < SERVERS; i++) engine.registerServer({ id: `gs-${i}`, weight: 1 });
const random = rng(7);
const requests = { ops: new Uint8Array(BATCH).fill(Op.Join), players: new Uint32Array(BATCH), zones: new Uint32Array(BATCH) };
const sink: ResultSink = { status: new Uint8Array(BATCH), server: new Int32Array(BATCH), position: new Uint32Array(BATCH), done: () => undefined };
/** A batch of joins of fresh players into random zones of the world, as a gateway sends them. */
async function joins(first: number): Promise<void> {
  for (let i = 0; i < BATCH; i++) {
    requests.players[i] = first + i;
    requests.zones[i] = random() % ZONES;
  }
  await new Promise<void>((resolve) => {
    sink.done = resolve;
    engine.submit(requests, 0, BATCH, sink);
  });
}
let next = 0;
for (; next < PLAYERS; next += BATCH) await joins(next);

// The scaling step as `zonelb serve --autoscale predictive` runs it each second: sample every
// zone, detect hot zones, feed the forecaster (a new batch of joins between steps, so the
// detector sees rates).
const controller = new ScaleController({ engine, engineOptions: engine.options, options: resolveScaleOptions({ mode: 'predictive' }) });
/**
 * Runs `f` while an immediate-callback chain measures the longest the thread went without
 * coming back to the event loop: the wait a gateway message arriving then would have had.
 */
async function longestTurn(f: () => Promise<unknown>): Promise<number> {
  let last = nowMs();
  let longest = 0;
  let running = true;
  const tick = (): void => {
    const t = nowMs();
    if (t - last > longest) longest = t - last;
    last = t;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await f();
  running = false;
  tick();
  return longest;
}

let clock = 0;
const stepTimes: number[] = [];
const stepTurns: number[] = [];
for (let i = 0; i < WARM + RUNS; i++) {
  await joins(next);
  next += BATCH;
  clock += 1000;
  const t = nowMs();
  const turn = await longestTurn(() => controller.step(clock));
  if (i >= WARM) {
    stepTimes.push(nowMs() - t);
    stepTurns.push(turn);
  }
}
const step = { medianMs: Number(median(stepTimes).toFixed(3)), maxMs: Number(Math.max(...stepTimes).toFixed(3)) };
const stepTurn = { medianMs: Number(median(stepTurns).toFixed(3)), maxMs: Number(Math.max(...stepTurns).toFixed(3)) };
console.log(`scaling step (hot zones + forecast): median ${step.medianMs} ms, max ${step.maxMs} ms in all; longest turn without the event loop: median ${stepTurn.medianMs} ms, max ${stepTurn.maxMs} ms`);

const census = new ZoneCensus(engine, { everyMs: 600_000, walkDuty: 0.002, walkMaxZones: 0, keep: 50 });
const censusTurns: number[] = [];
const censusMs = await timed(async () => {
  censusTurns.push(await longestTurn(() => census.refresh()));
});
const censusTurn = { medianMs: Number(median(censusTurns.slice(WARM)).toFixed(3)), maxMs: Number(Math.max(...censusTurns.slice(WARM)).toFixed(3)) };
console.log(`zone census sample: median ${censusMs.medianMs} ms, max ${censusMs.maxMs} ms in all; longest turn without the event loop: median ${censusTurn.medianMs} ms, max ${censusTurn.maxMs} ms`);
census.close();

// A latency window over a recorder holding a day's spread of values (µs), read as the
// dashboard reads it: a 2 s window, copies every 5 s.
const recorder = build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
for (let i = 0; i < 1_000_000; i++) recorder.recordValue(1 + (random() % 200) + (i % 100 === 0 ? random() % 50_000 : 0));
const windowed = new LatencyWindow(recorder, 5000, 12);
let windowClock = 0;
const windowMs = await timed(() => {
  for (let i = 0; i < 1000; i++) recorder.recordValue(1 + (random() % 200));
  windowClock += 1000;
  windowed.quantiles(windowClock, 2000);
});
console.log(`latency window read (p50…p99.9, max, _sum): median ${windowMs.medianMs} ms, max ${windowMs.maxMs} ms`);

await engine.close();
console.log(
  JSON.stringify({
    node: process.version,
    zones: ZONES,
    maxZones: engine.options.maxZones,
    players: PLAYERS,
    scaleStepMs: step.medianMs,
    scaleStepMaxMs: step.maxMs,
    scaleStepLongestTurnMs: stepTurn.medianMs,
    scaleStepLongestTurnMaxMs: stepTurn.maxMs,
    censusSampleMs: censusMs.medianMs,
    censusSampleMaxMs: censusMs.maxMs,
    censusLongestTurnMs: censusTurn.medianMs,
    censusLongestTurnMaxMs: censusTurn.maxMs,
    latencyWindowReadMs: windowMs.medianMs,
    latencyWindowReadMaxMs: windowMs.maxMs,
  }),
);
