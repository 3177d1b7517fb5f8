/**
 * Observability cost benchmark (not a test): `npm run bench:obs`.
 * On a big world (default 10 000 servers, 100 000 zones, 400 000 players), how long the main
 * thread spends on one /metrics scrape, one dashboard frame and one zone-census sample, and how
 * long the full zone walk (which pauses the shards) takes. Last line: one JSON object.
 * Flags: --servers N, --zones N, --players N.
 */
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Op, type ResultSink } from '../src/index.ts';
import type { EngineBase } from '../src/engine/engine-base.ts';
import { startZonelb } from '../src/net/app.ts';
import { NetStats } from '../src/net/net-stats.ts';
import { DashboardSampler } from '../src/obs/dashboard-sampler.ts';
import { EventTracker } from '../src/obs/event-tracker.ts';
import { FleetSnapshot } from '../src/obs/fleet-snapshot.ts';
import { LatencyWindow } from '../src/obs/latency-window.ts';
import { observability } from '../src/obs/observability.ts';
import { ScaleView } from '../src/obs/scale-view.ts';
import { ZoneCensus } from '../src/obs/zone-census.ts';
import { banner, fmt, nowMs, rng } from './bench-util.ts';

const { values: flags } = parseArgs({ options: { servers: { type: 'string' }, zones: { type: 'string' }, players: { type: 'string' } } });
const SERVERS = Number(flags.servers ?? 10_000);
const ZONES = Number(flags.zones ?? 100_000);
const PLAYERS = Number(flags.players ?? 400_000);
const BATCH = 50_000;
const execFileAsync = promisify(execFile);
const RUNS = 7;

banner('zonelb observability cost');
console.log(`world: ${fmt(SERVERS)} servers, ${fmt(ZONES)} zones, ${fmt(PLAYERS)} players, 2 shards`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(runs: number, f: () => unknown): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t = nowMs();
    await f();
    if (i > 0) ms.push(nowMs() - t); // the first run warms up
  }
  return median(ms);
}

async function main(): Promise<void> {
  const z = await startZonelb({
    engine: { shards: 2, maxServers: Math.max(16_384, SERVERS + 1), maxZones: 131_072, maxPlayers: 1 << 20, limits: { playersPerServer: 1000 } },
    net: { host: '127.0.0.1', port: 0 },
    logger: pino({ level: 'silent' }),
    runtime: { autoTick: false },
    extensions: [observability({ censusMs: 600_000, frameMs: 60_000 })],
  });
  const engine = z.engine;
  const random = rng(42);
  for (let i = 0; i < SERVERS; i++) {
    engine.registerServer({ id: `gs-${i}`, weight: 1 + (i % 3) });
    engine.heartbeat(`gs-${i}`, { cpu: (random() % 700) / 1000, memory: (random() % 800) / 1000, players: 0 });
  }
  const requests = { ops: new Uint8Array(BATCH).fill(Op.Join), players: new Uint32Array(BATCH), zones: new Uint32Array(BATCH) };
  const sink: ResultSink = { status: new Uint8Array(BATCH), server: new Int32Array(BATCH), position: new Uint32Array(BATCH), done: () => undefined };
  for (let b = 0; b < PLAYERS / BATCH; b++) {
    for (let i = 0; i < BATCH; i++) {
      requests.players[i] = b * BATCH + i;
      requests.zones[i] = random() % ZONES;
    }
    await new Promise<void>((resolve) => {
      sink.done = resolve;
      engine.submit(requests, 0, BATCH, sink);
    });
  }

  let bytes = 0;
  // The longest the event loop (which also serves gateways) was held at once during the scrapes.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  // Scraped by curl, out of process, as Prometheus would: the loop delay is zonelb's alone.
  const scrapeMs = await timed(RUNS, async () => {
    const { stdout } = await execFileAsync('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download}', `${z.server.url}/metrics`]);
    bytes = Number(stdout);
  });
  loop.disable();
  const stallMs = loop.max / 1e6;
  console.log(`GET /metrics: ${scrapeMs.toFixed(1)} ms (median of ${RUNS}, curl on loopback), ${(bytes / 2 ** 20).toFixed(1)} MiB; longest event-loop stall ${stallMs.toFixed(1)} ms`);

  // The pieces of the extension, built as observability() builds them, to time each alone.
  const census = new ZoneCensus(engine, { everyMs: 600_000, walkDuty: 0.002, walkMaxZones: 2000, keep: 50 });
  const sampleMs = await timed(RUNS, () => census.refresh());
  console.log(`zone census sample: ${sampleMs.toFixed(2)} ms (main thread, lock-free; totals, split zones, busiest zones)`);
  // What the census no longer does on a world this big: walk every zone, during which a join waits.
  const walk = engine.zones();
  const joinStarted = nowMs();
  await engine.join(PLAYERS + 1, 1);
  const joinWaitMs = nowMs() - joinStarted;
  await walk;
  const walkMs = await timed(3, () => engine.zones());
  console.log(`a full zone walk (engine.zones(), not run past ${fmt(2000)} zones): ${walkMs.toFixed(0)} ms; a join sent during one waited ${joinWaitMs.toFixed(0)} ms`);
  const tracker = new EventTracker(engine);
  const fleet = new FleetSnapshot(engine);
  const stats = (engine as EngineBase).stats;
  const net = new NetStats();
  const sampler = new DashboardSampler({
    engine,
    engineOptions: z.engineOptions,
    engineStats: { stats, latency: new LatencyWindow(stats.batchLatency, 2000, 30) },
    net,
    fleet,
    tracker,
    census,
    scale: new ScaleView(tracker, undefined, Date.now),
    gatewayLatency: new LatencyWindow(net.batchLatency.histogram, 2000, 30),
    maxServerRows: 200,
    engineNow: () => performance.now(),
    wallClock: Date.now,
  });
  let frameBytes = 0;
  const frameMs = await timed(RUNS, () => {
    fleet.refresh();
    frameBytes = JSON.stringify(sampler.sample()).length;
  });
  console.log(`dashboard frame: ${frameMs.toFixed(1)} ms to build and serialise (${(frameBytes / 1024).toFixed(0)} KiB, 200 of ${fmt(SERVERS)} servers listed)`);
  sampler.close();
  census.close();
  tracker.close();
  await z.close();
  console.log(
    JSON.stringify({
      node: process.version,
      servers: SERVERS,
      zones: ZONES,
      players: PLAYERS,
      scrapeMs: Number(scrapeMs.toFixed(1)),
      scrapeBytes: bytes,
      scrapeLoopStallMs: Number(stallMs.toFixed(1)),
      censusSampleMs: Number(sampleMs.toFixed(2)),
      zoneWalkMs: Math.round(walkMs),
      joinDuringWalkMs: Math.round(joinWaitMs),
      frameMs: Number(frameMs.toFixed(1)),
      frameBytes,
    }),
  );
}

await main();
