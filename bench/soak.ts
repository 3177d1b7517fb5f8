/**
 * Soak benchmark (not a test): `npm run bench:soak [-- flags]`. Runs `zonelb serve` (dist/) for
 * minutes under the traffic of a live world, and prints how its memory and latency behave over
 * time: a long-running service must not grow without bound while players come and go.
 *
 * The world: a synthetic fleet heartbeating over HTTP (src/cli/demo-fleet.ts, on a thread of its
 * own: bench/soak-fleet.ts; one server crashes and comes back every --crash-every seconds), and one gateway sending batches at a fixed
 * rate (open loop): players walk between zones, log out for good (replaced by new ids, so the
 * ids ever seen keep growing), or drop their connection and come back seconds later to the seat
 * kept for them. Every batch must be answered, each request once; the run fails otherwise.
 *
 * Every --sample seconds one line: the server's resident memory, its main thread's heap and
 * external memory (from its /metrics), and the gateway's round trips in that window. The last
 * line is one JSON object. Shard state lives in SharedArrayBuffers sized by the capacities;
 * their pages are committed as they are first used, so resident memory rises until the rings
 * that cycle (the reconnect-expiry ring, one slot per --max-players) have gone round once, and
 * is flat after: the JSON's rssSlopeMBPerMin is taken over the run's second half.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Op, Reason } from '../src/core/codes.ts';
import { GatewayClient } from '../src/net/gateway-client.ts';
import { LatencyRecorder } from '../src/net/latency.ts';
import { machine, startZonelb } from './ws-procs.ts';
import { rng } from './bench-util.ts';
import type { FleetData, FromFleet, ToFleet } from './soak-fleet.ts';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '50000' },
    players: { type: 'string', default: '100000' },
    zones: { type: 'string', default: '20000' },
    servers: { type: 'string', default: '40' },
    shards: { type: 'string', default: '2' },
    'max-players': { type: 'string', default: '262144' },
    'reconnect-ms': { type: 'string', default: '30000' },
    sample: { type: 'string', default: '15' },
    'crash-every': { type: 'string', default: '60' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log('npm run bench:soak -- [--minutes 5] [--rate 50000 requests/s] [--players 100000] [--zones 20000] [--servers 40] [--shards 2] [--max-players 262144 per shard] [--reconnect-ms 30000] [--sample 15 s] [--crash-every 60 s]');
  process.exit(0);
}
/** A flag's value: a finite number, at least `min`. */
const num = (k: keyof typeof flags, min = 0): number => {
  const v = Number(flags[k]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${k} must be a number ≥ ${min}, got ${String(flags[k])}`);
  return v;
};
const MINUTES = num('minutes');
const RATE = num('rate', 100);
const PLAYERS = Math.floor(num('players', 1));
const ZONES = Math.floor(num('zones', 1));
const SERVERS = Math.floor(num('servers', 1));
const SAMPLE_MS = num('sample', 1) * 1000;
const CRASH_EVERY_MS = num('crash-every') * 1000;

/** Batches go out every TICK_MS; each carries the requests of that interval. */
const TICK_MS = 10;
const BATCH = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
/** Once the world is full: walks, logouts (each replaced by a new player), dropped connections. */
const MOVE_SHARE = 0.7;
const QUIT_SHARE = 0.12;
/** A dropped connection comes back after 2-6 s. */
const BACK_MIN_MS = 2000;
const BACK_SPREAD_MS = 4000;
/**
 * Player cap per weight unit: the world at about 60 % of what the fleet takes. The demo fleet's
 * servers reach 80 % CPU at ~85 % of their cap; every third server has weight 2.
 */
const weightUnits = SERVERS + Math.floor((SERVERS + 1) / 3);
const PLAYERS_PER_SERVER = Math.ceil(PLAYERS / (0.6 * 0.85 * weightUnits));

const settings = { minutes: MINUTES, rate: RATE, batch: BATCH, players: PLAYERS, zones: ZONES, servers: SERVERS, playersPerServer: PLAYERS_PER_SERVER, shards: num('shards'), maxPlayers: num('max-players'), reconnectMs: num('reconnect-ms') };
console.log(`# zonelb soak benchmark\n${JSON.stringify(machine())}\nsettings ${JSON.stringify(settings)}`);

const zonelb = await startZonelb([
  '--shards', String(settings.shards),
  '--max-players', String(settings.maxPlayers),
  '--reconnect-ms', String(settings.reconnectMs),
  '--players-per-server', String(PLAYERS_PER_SERVER),
  '--max-zones', String(Math.max(ZONES, 1)),
]);
const base = `http://127.0.0.1:${zonelb.port}`;
const fleet = startFleet({ base, servers: SERVERS, playersPerServer: PLAYERS_PER_SERVER });
const fleetIds = await new Promise<string[]>((resolve, reject) => {
  fleet.once('message', (m: FromFleet) => (m.t === 'ready' ? resolve(m.ids) : reject(new Error(`fleet: ${m.t}`))));
  fleet.once('error', reject);
});
const tell = (m: ToFleet): void => fleet.postMessage(m);
const gateway = await GatewayClient.connect(`ws://127.0.0.1:${zonelb.port}/v1/gateway`);
/** Pushed re-placements by reason (Crashed, Admitted from the line, …). */
const reasonName = new Map<number, string>(Object.entries(Reason).map(([k, v]) => [v, k]));
const replacements: Record<string, number> = {};
gateway.onReplacement((e) => {
  for (let i = 0; i < e.count; i++) {
    const name = reasonName.get(e.reasons[i]!) ?? String(e.reasons[i]);
    replacements[name] = (replacements[name] ?? 0) + 1;
  }
});

// The world as the gateway sees it: players in it by index (swap-remove keeps them dense), and
// a ring of players whose connection dropped, with when they come back.
const random = rng(7);
const uniform = (): number => random() / 2 ** 32;
const ids = new Uint32Array(PLAYERS + BATCH);
const zoneOf = new Uint32Array(PLAYERS + BATCH);
let population = 0;
let nextId = 1;
const backId = new Uint32Array(PLAYERS + BATCH);
const backZone = new Uint32Array(PLAYERS + BATCH);
const backAt = new Float64Array(PLAYERS + BATCH);
let backHead = 0;
let backCount = 0;
const ops = new Uint8Array(BATCH);
const players = new Uint32Array(BATCH);
const zones = new Uint32Array(BATCH);
/** Players already in the batch being filled: one request per player per batch. */
const inBatch = new Set<number>();

function add(id: number, zone: number): void {
  ids[population] = id;
  zoneOf[population++] = zone;
}

function removeAt(j: number): void {
  ids[j] = ids[population - 1]!;
  zoneOf[j] = zoneOf[--population]!;
}

/** Fills the next batch; returns its size. */
function fill(now: number): number {
  inBatch.clear();
  let n = 0;
  const put = (op: number, id: number, zone: number): void => {
    ops[n] = op;
    players[n] = id;
    zones[n++] = zone;
    inBatch.add(id);
  };
  while (n < BATCH && backCount > 0 && backAt[backHead]! <= now) {
    const slot = backHead;
    backHead = (backHead + 1) % backId.length;
    backCount--;
    add(backId[slot]!, backZone[slot]!);
    put(Op.Join, backId[slot]!, backZone[slot]!);
  }
  for (let tries = 0; n < BATCH && tries < BATCH * 4; tries++) {
    if (population + backCount < PLAYERS) {
      const zone = Math.floor(uniform() * ZONES);
      add(nextId, zone);
      put(Op.Join, nextId++, zone);
      continue;
    }
    const j = Math.floor(uniform() * population);
    const id = ids[j]!;
    if (inBatch.has(id)) continue;
    const x = uniform();
    if (x < MOVE_SHARE) {
      // A neighbouring zone, on a ring of zones: walkers stay near where they were.
      const zone = (zoneOf[j]! + 1 + Math.floor(uniform() * 3)) % ZONES;
      zoneOf[j] = zone;
      put(Op.Move, id, zone);
    } else if (x < MOVE_SHARE + QUIT_SHARE) {
      removeAt(j);
      put(Op.Quit, id, 0);
    } else {
      const slot = (backHead + backCount) % backId.length;
      backId[slot] = id;
      backZone[slot] = zoneOf[j]!;
      backAt[slot] = now + BACK_MIN_MS + uniform() * BACK_SPREAD_MS;
      backCount++;
      removeAt(j);
      put(Op.Leave, id, 0);
    }
  }
  return n;
}

interface Sample {
  t: number;
  rssMB: number;
  heapMB: number;
  externalMB: number;
}

/** Resident memory and main-thread heap of the server, from its Prometheus metrics (MB). */
async function memory(): Promise<Omit<Sample, 't'>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const metric = (name: string): number => {
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
    return m ? Number(m[1]) / 2 ** 20 : Number.NaN;
  };
  return { rssMB: metric('process_resident_memory_bytes'), heapMB: metric('nodejs_heap_size_used_bytes'), externalMB: metric('nodejs_external_memory_bytes') };
}

const windowed = new LatencyRecorder();
const overall = new LatencyRecorder();
const samples: Sample[] = [];
let sent = 0;
let answered = 0;
let failures = 0;
let worstWindowP99 = 0;
const t0 = performance.now();
const end = t0 + MINUTES * 60_000;
let nextSample = t0 + SAMPLE_MS;
let nextCrash = t0 + CRASH_EVERY_MS;
let crashes = 0;

console.log('    t (s)   requests   rss MB   heap MB   ext MB   window p50 / p99 / max ms');
const first = { t: 0, ...(await memory()) };
samples.push(first);
for (let tick = 1; ; tick++) {
  const due = t0 + tick * TICK_MS;
  const now = performance.now();
  if (now >= end) break;
  if (due > now) await new Promise((r) => setTimeout(r, due - now));
  const n = fill(performance.now());
  const sentAt = performance.now();
  sent += n;
  gateway.send(ops, players, zones, n).then(
    (a) => {
      if (a.count !== n) failures++;
      answered += a.count;
      const ms = performance.now() - sentAt;
      windowed.recordMs(ms);
      overall.recordMs(ms);
    },
    (e: Error) => {
      failures++;
      console.error(`batch failed: ${e.message}`);
    },
  );
  if (CRASH_EVERY_MS > 0 && performance.now() >= nextCrash) {
    nextCrash += CRASH_EVERY_MS;
    const id = fleetIds[crashes++ % SERVERS]!;
    tell({ t: 'crash', id });
    setTimeout(() => tell({ t: 'restart', id }), 10_000).unref();
  }
  if (performance.now() >= nextSample) {
    nextSample += SAMPLE_MS;
    const s = { t: (performance.now() - t0) / 1000, ...(await memory()) };
    samples.push(s);
    const w = windowed.summary();
    windowed.reset();
    if (w.p99Ms > worstWindowP99) worstWindowP99 = w.p99Ms;
    console.log(
      `${s.t.toFixed(0).padStart(9)}  ${(sent / 1e6).toFixed(2).padStart(8)} M  ${s.rssMB.toFixed(0).padStart(7)}  ${s.heapMB.toFixed(1).padStart(8)}  ${s.externalMB.toFixed(1).padStart(7)}   ${w.p50Ms} / ${w.p99Ms} / ${w.maxMs}`,
    );
  }
}
// Every batch sent must come back before the totals are read.
const drainUntil = performance.now() + 10_000;
while (gateway.pending > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
const elapsedS = (performance.now() - t0) / 1000;
await new Promise<void>((resolve) => {
  fleet.on('message', (m: FromFleet) => m.t === 'stopped' && resolve());
  tell({ t: 'stop' });
});
await fleet.terminate();
await gateway.close();
await zonelb.stop();

/** The fleet's worker: compiled beside this file, or from source through tsx. */
function startFleet(data: FleetData): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './soak-fleet.ts' : './soak-fleet.js', import.meta.url);
  return import.meta.url.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: data })
    : new Worker(url, { workerData: data });
}

/** Least-squares slope of resident memory over the second half of the run, MB a minute. */
function slope(of: Sample[]): number {
  const half = of.filter((s) => s.t >= elapsedS / 2);
  if (half.length < 2) return Number.NaN;
  const mt = half.reduce((a, s) => a + s.t, 0) / half.length;
  const mr = half.reduce((a, s) => a + s.rssMB, 0) / half.length;
  let num = 0;
  let den = 0;
  for (const s of half) {
    num += (s.t - mt) * (s.rssMB - mr);
    den += (s.t - mt) ** 2;
  }
  return den > 0 ? (num / den) * 60 : Number.NaN;
}

const last = samples[samples.length - 1]!;
const all = overall.summary();
const result = {
  ...machine(),
  minutes: Number((elapsedS / 60).toFixed(2)),
  requests: sent,
  answered,
  unanswered: sent - answered,
  failures,
  requestsPerSec: Math.round(answered / elapsedS),
  playerIdsUsed: nextId - 1,
  crashes,
  replacements,
  rssStartMB: Math.round(first.rssMB),
  rssEndMB: Math.round(last.rssMB),
  rssMaxMB: Math.round(Math.max(...samples.map((s) => s.rssMB))),
  rssSlopeMBPerMin: Number(slope(samples).toFixed(2)),
  heapUsedMaxMB: Number(Math.max(...samples.map((s) => s.heapMB)).toFixed(1)),
  p50Ms: all.p50Ms,
  p99Ms: all.p99Ms,
  worstWindowP99Ms: worstWindowP99,
  maxMs: all.maxMs,
};
console.log(JSON.stringify(result));
if (failures > 0 || sent !== answered) process.exitCode = 1;
