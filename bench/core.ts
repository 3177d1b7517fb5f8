/**
 * Core placement benchmark (not a test): `npm run bench:core`.
 * Prints human-readable lines, and as its last line one JSON object with every figure.
 * Flags: --quick (smaller load phase, for a fast look), --players N (load phase size).
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { LocalEngine, ShardedEngine, Op, Status, type ResultSink } from '../src/index.ts';
import { banner, fmt, gc, nowMs, rng } from './bench-util.ts';

const require = createRequire(import.meta.url);
const HashRing = require('hashring') as new (servers: Record<string, number>) => { get(key: string): string };

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, players: { type: 'string' } },
});
const LOAD_PLAYERS = Number(flags.players ?? (flags.quick ? 500_000 : 5_000_000));
const SEED = 42;
const BATCH = 8192;
/**
 * Servers here register and take players at once, with no heartbeat: each may fill its whole
 * cap (no cold-start ramp), as the placement paths measured here assume.
 */
const NO_RAMP = { coldStart: 1 };

banner('zonelb core benchmark');

/** Requests and a sink reused across batches: the benchmark allocates nothing per request. */
function batchArrays(n: number) {
  const requests = { ops: new Uint8Array(n), players: new Uint32Array(n), zones: new Uint32Array(n) };
  let calls = 0;
  const sink: ResultSink = {
    status: new Uint8Array(n),
    server: new Int32Array(n),
    position: new Uint32Array(n),
    done: () => {
      calls++;
    },
  };
  return { requests, sink, calls: () => calls };
}

function countStatus(sink: ResultSink, n: number, status: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (sink.status[i] === status) k++;
  return k;
}

/** Decisions/s of `run(batch)` over at least `ms` of measured time, after a warm-up. */
function measure(ms: number, run: () => number): number {
  for (let i = 0; i < 3; i++) run();
  let n = 0;
  const t0 = nowMs();
  let t = t0;
  while (t - t0 < ms) {
    n += run();
    t = nowMs();
  }
  return (n / (t - t0)) * 1000;
}

// --------------------------------------------------------------------------- steady

/**
 * Joins into zones whose server has room; each batch joined, then left. Player ids in sequence
 * (as accounts are usually numbered), or with `randomIds` drawn at random, which costs a
 * directory cache miss per join instead of one per eight (see player-directory.ts). Joins and
 * leaves are timed apart: every zone keeps a player, so each leave is the steady one (the
 * seat given back; reconnects off).
 */
function steady(randomIds = false): { joins: number; leaves: number } {
  const engine = new LocalEngine({ maxZones: 100_000, maxPlayers: 1 << 20, reconnectMs: 0, admission: NO_RAMP }, { autoTick: false });
  for (let s = 0; s < 1000; s++) engine.registerServer({ id: `gs-${s}`, weight: 1 + (s % 4) });
  const next = rng(SEED);
  const nextId = rng(SEED + 3);
  const { requests, sink } = batchArrays(BATCH);
  let player = 0;
  // Place every zone once so that joins below take the steady path (zone has a server).
  for (let z = 0; z < 100_000; z += BATCH) {
    const n = Math.min(BATCH, 100_000 - z);
    for (let i = 0; i < n; i++) {
      requests.ops[i] = Op.Join;
      requests.players[i] = 0xf000_0000 + z + i;
      requests.zones[i] = z + i;
    }
    engine.submit(requests, 0, n, sink);
  }
  const leaves = batchArrays(BATCH);
  let timed = 0;
  let timedLeaves = 0;
  let total = 0;
  for (;;) {
    for (let i = 0; i < BATCH; i++) {
      requests.ops[i] = Op.Join;
      requests.players[i] = (randomIds ? nextId() : player++) % 0xe000_0000;
      requests.zones[i] = next() % 100_000;
      leaves.requests.ops[i] = Op.Leave;
      leaves.requests.players[i] = requests.players[i]!;
    }
    const t0 = nowMs();
    engine.submit(requests, 0, BATCH, sink);
    const t1 = nowMs();
    if (countStatus(sink, BATCH, Status.Ok) !== BATCH) throw new Error('steady: a join was not placed');
    engine.submit(leaves.requests, 0, BATCH, leaves.sink);
    const t2 = nowMs();
    // (Random ids may repeat within a batch: the second leave of an id finds nobody.)
    if (!randomIds && countStatus(leaves.sink, BATCH, Status.Ok) !== BATCH) throw new Error('steady: a leave was not answered Ok');
    total += BATCH;
    if (total > BATCH * 4) {
      // The first batches are the warm-up.
      timed += t1 - t0;
      timedLeaves += t2 - t1;
    }
    if (timed > 1500) break;
  }
  void engine.close();
  const counted = total - BATCH * 4;
  return { joins: (counted / timed) * 1000, leaves: (counted / timedLeaves) * 1000 };
}

// --------------------------------------------------------------------------- moves

/**
 * Players walking: each request moves a seated player (one of 200 000, random) into a random
 * zone. Every zone is on one server with room and keeps a player, so each move is the steady
 * one; with 1 000 servers almost every move is to another server (a new seat taken, the old
 * one given back).
 */
function moves(): number {
  const engine = new LocalEngine({ maxZones: 100_000, maxPlayers: 1 << 20, reconnectMs: 0, admission: NO_RAMP }, { autoTick: false });
  for (let s = 0; s < 1000; s++) engine.registerServer({ id: `gs-${s}`, weight: 1 + (s % 4) });
  const next = rng(SEED + 5);
  const { requests, sink } = batchArrays(BATCH);
  const walkers = 200_000;
  const load = (from: number, n: number, zone: (i: number) => number, player: (i: number) => number) => {
    for (let i = 0; i < n; i++) {
      requests.ops[i] = Op.Join;
      requests.players[i] = player(from + i);
      requests.zones[i] = zone(from + i);
    }
    engine.submit(requests, 0, n, sink);
    if (countStatus(sink, n, Status.Ok) !== n) throw new Error('moves: a join was not placed');
  };
  for (let z = 0; z < 100_000; z += BATCH) load(z, Math.min(BATCH, 100_000 - z), (i) => i, (i) => 0xf000_0000 + i);
  for (let p = 0; p < walkers; p += BATCH) load(p, Math.min(BATCH, walkers - p), () => next() % 100_000, (i) => i);
  const rate = measure(1500, () => {
    for (let i = 0; i < BATCH; i++) {
      requests.ops[i] = Op.Move;
      requests.players[i] = next() % walkers;
      requests.zones[i] = next() % 100_000;
    }
    engine.submit(requests, 0, BATCH, sink);
    if (countStatus(sink, BATCH, Status.Ok) !== BATCH) throw new Error('moves: a move was not answered Ok');
    return BATCH;
  });
  void engine.close();
  return rate;
}

// --------------------------------------------------------------------------- overflow

/**
 * 10 000 servers of one seat each: every join finds its zone's servers full and must grow
 * the zone onto another server. Each round fills half the fleet, then empties it (untimed).
 */
function overflow(): number {
  const S = 10_000;
  const engine = new LocalEngine(
    { maxServers: S, maxZones: 1000, maxPlayers: 1 << 16, reconnectMs: 0, limits: { playersPerServer: 1, cpu: 0.8, memory: 0.9 }, admission: NO_RAMP },
    { autoTick: false },
  );
  for (let s = 0; s < S; s++) engine.registerServer({ id: `gs-${s}` });
  void engine.tick(0);
  const next = rng(SEED + 1);
  const round = S / 2;
  const { requests, sink } = batchArrays(round);
  const leaves = batchArrays(round);
  let player = 0;
  let timed = 0;
  let total = 0;
  let rounds = 0;
  while (timed < 1500) {
    for (let i = 0; i < round; i++) {
      requests.ops[i] = Op.Join;
      requests.players[i] = player++;
      requests.zones[i] = next() % 1000;
      leaves.requests.ops[i] = Op.Leave;
      leaves.requests.players[i] = requests.players[i]!;
    }
    const t0 = nowMs();
    engine.submit(requests, 0, round, sink);
    const t1 = nowMs();
    if (countStatus(sink, round, Status.Ok) !== round) throw new Error('overflow: a join was not placed');
    engine.submit(leaves.requests, 0, round, leaves.sink);
    if (++rounds > 3) {
      timed += t1 - t0;
      total += round;
    }
  }
  void engine.close();
  return (total / timed) * 1000;
}

// --------------------------------------------------------------------------- hashring

function hashring(): number {
  const servers: Record<string, number> = {};
  for (let s = 0; s < 1000; s++) servers[`gs-${s}`] = 1 + (s % 4);
  const ring = new HashRing(servers);
  const next = rng(SEED);
  const keys = Array.from({ length: 1 << 16 }, () => String(next() % 100_000));
  let sink = 0;
  let k = 0;
  const rate = measure(1500, () => {
    for (let i = 0; i < 4096; i++) sink += ring.get(keys[k++ & 0xffff]!).length;
    return 4096;
  });
  if (sink === 0) throw new Error('unreachable');
  return rate;
}

// --------------------------------------------------------------------------- shard scaling

/**
 * The same steady stream through the sharded engine (coordinator + worker threads): lanes of
 * 8192 joins then their leaves, four lanes in flight. Only placed joins and done leaves count.
 */
async function shardThroughput(shards: number): Promise<number> {
  const engine = await ShardedEngine.start(
    { shards, maxZones: 100_000, maxPlayers: 1 << 20, reconnectMs: 0, maxBatch: 1 << 15, admission: NO_RAMP },
    { autoTick: false },
  );
  for (let s = 0; s < 1000; s++) engine.registerServer({ id: `gs-${s}`, weight: 1 + (s % 4) });
  const N = 8192;
  const place = batchArrays(N);
  for (let z = 0; z < 100_000; z += N) {
    const n = Math.min(N, 100_000 - z);
    for (let i = 0; i < n; i++) {
      place.requests.ops[i] = Op.Join;
      place.requests.players[i] = 0xf000_0000 + z + i;
      place.requests.zones[i] = z + i;
    }
    await new Promise<void>((resolve) => {
      place.sink.done = resolve;
      engine.submit(place.requests, 0, n, place.sink);
    });
  }
  const next = rng(SEED);
  let player = 0;
  let decisions = 0;
  const lane = async (until: number): Promise<void> => {
    const join = batchArrays(N);
    const leave = batchArrays(N);
    join.requests.ops.fill(Op.Join);
    leave.requests.ops.fill(Op.Leave);
    while (nowMs() < until) {
      for (let i = 0; i < N; i++) {
        join.requests.players[i] = player++;
        join.requests.zones[i] = next() % 100_000;
        leave.requests.players[i] = join.requests.players[i]!;
      }
      await new Promise<void>((resolve) => {
        join.sink.done = resolve;
        engine.submit(join.requests, 0, N, join.sink);
      });
      await new Promise<void>((resolve) => {
        leave.sink.done = resolve;
        engine.submit(leave.requests, 0, N, leave.sink);
      });
      const ok = countStatus(join.sink, N, Status.Ok) + countStatus(leave.sink, N, Status.Ok);
      if (ok !== 2 * N) throw new Error(`sharded: ${2 * N - ok} requests not served`);
      decisions += 2 * N;
    }
  };
  const lanes = (ms: number) => {
    const until = nowMs() + ms;
    return Promise.all([0, 1, 2, 3].map(() => lane(until)));
  };
  await lanes(500); // warm-up
  decisions = 0;
  const t0 = nowMs();
  await lanes(2000);
  const rate = (decisions / (nowMs() - t0)) * 1000;
  await engine.close();
  return rate;
}

// --------------------------------------------------------------------------- load, memory, failover

async function loadAndFailover(): Promise<{ rssBytes: number; loadMs: number; failoverMs: number; tickMs: number; failoverPlayers: number; players: number }> {
  gc();
  let now = 0;
  const engine = new LocalEngine(
    { maxServers: 10_001, maxZones: 100_000, maxPlayers: LOAD_PLAYERS + (1 << 16), reconnectMs: 0, deadAfterMs: 5000, suspectAfterMs: 3000, admission: NO_RAMP },
    { clock: () => now, autoTick: false },
  );
  const S = 10_000;
  for (let s = 0; s < S; s++) engine.registerServer({ id: `gs-${s}` });
  // One big machine (weight 20): its ring share gives it about 10 000 of the players.
  engine.registerServer({ id: 'big', weight: 20 });
  const next = rng(SEED + 2);
  const { requests, sink } = batchArrays(1 << 16);
  const t0 = nowMs();
  for (let p = 0; p < LOAD_PLAYERS; p += 1 << 16) {
    const n = Math.min(1 << 16, LOAD_PLAYERS - p);
    for (let i = 0; i < n; i++) {
      requests.ops[i] = Op.Join;
      requests.players[i] = p + i;
      requests.zones[i] = next() % 100_000;
    }
    engine.submit(requests, 0, n, sink);
  }
  const loadMs = nowMs() - t0;
  gc();
  const rssBytes = process.memoryUsage().rss;
  const failoverPlayers = engine.server('big').players;
  // Warm-up: one ordinary server crashes first, so the measured failover runs optimised code
  // (a service that has been up for a while has run these paths already).
  now = 10_000;
  for (let s = 1; s < S; s++) engine.heartbeat(`gs-${s}`, { cpu: 0.3, memory: 0.3, players: 500 });
  engine.heartbeat('big', { cpu: 0.3, memory: 0.3, players: 500 });
  await engine.tick(now);
  // Then everyone but "big" heartbeats, and the failure detector runs past deadAfterMs.
  now = 20_000;
  for (let s = 1; s < S; s++) engine.heartbeat(`gs-${s}`, { cpu: 0.3, memory: 0.3, players: 500 });
  const t1 = nowMs();
  const events = await engine.tick(now);
  const tickMs = nowMs() - t1;
  const failoverMs = engine.lastFailover!.ms;
  const replaced = events.filter((e) => e.newServer !== -1).length;
  if (replaced !== failoverPlayers) throw new Error(`failover re-placed ${replaced} of ${failoverPlayers}`);
  await engine.close();
  return { rssBytes, loadMs, failoverMs, tickMs, failoverPlayers, players: LOAD_PLAYERS };
}

// --------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const { joins: steadyPerSec, leaves: steadyLeavesPerSec } = steady();
  console.log(`steady decisions (zone has room, 1 thread):      ${fmt(steadyPerSec)}/s`);
  console.log(`  their leaves (seat given back, zone keeps others): ${fmt(steadyLeavesPerSec)}/s`);
  const steadyRandomIdsPerSec = steady(true).joins;
  console.log(`  the same joins with random player ids:         ${fmt(steadyRandomIdsPerSec)}/s`);
  const movesPerSec = moves();
  console.log(`steady moves (random walkers, random zones):     ${fmt(movesPerSec)}/s`);
  const hashringPerSec = hashring();
  console.log(`npm hashring get() (100k zones, 1000 servers):   ${fmt(hashringPerSec)}/s  → zonelb ${(steadyPerSec / hashringPerSec).toFixed(1)}×`);
  const overflowPerSec = overflow();
  console.log(`overflow decisions (zone full, 10 000 servers):  ${fmt(overflowPerSec)}/s`);
  const one = await shardThroughput(1);
  const two = await shardThroughput(2);
  console.log(`sharded engine (joins+leaves through the coordinator), 1 shard: ${fmt(one)}/s   2 shards: ${fmt(two)}/s  (×${(two / one).toFixed(2)})`);
  const load = await loadAndFailover();
  console.log(
    `loaded ${fmt(load.players)} players on 10 001 servers, 100k zones in ${load.loadMs.toFixed(0)} ms; RSS ${(load.rssBytes / 2 ** 30).toFixed(2)} GiB`,
  );
  console.log(`failover: ${load.failoverPlayers} players of a crashed server re-placed in ${load.failoverMs.toFixed(1)} ms (whole tick, with ring and room-list upkeep: ${load.tickMs.toFixed(1)} ms)`);
  const result = {
    node: process.version,
    steadyPerSec: Math.round(steadyPerSec),
    steadyLeavesPerSec: Math.round(steadyLeavesPerSec),
    steadyRandomIdsPerSec: Math.round(steadyRandomIdsPerSec),
    movesPerSec: Math.round(movesPerSec),
    overflowPerSec: Math.round(overflowPerSec),
    hashringPerSec: Math.round(hashringPerSec),
    steadyOverHashring: Number((steadyPerSec / hashringPerSec).toFixed(1)),
    shardScaling: { '1': Math.round(one), '2': Math.round(two) },
    rssBytes: load.rssBytes,
    loadMs: Math.round(load.loadMs),
    loadedPlayers: load.players,
    failoverMs: Number(load.failoverMs.toFixed(2)),
    failoverPlayers: load.failoverPlayers,
    failoverTickMs: Number(load.tickMs.toFixed(2)),
  };
  console.log(JSON.stringify(result));
}

await main();

