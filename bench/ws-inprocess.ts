/**
 * The gateway path without the network:  npx tsx bench/ws-inprocess.ts
 *
 * The work the front end does per gateway batch (decode a GatewayBatch into a request buffer,
 * one engine.submit, encode the ResultBatch), in one loop on one thread with the single-threaded
 * engine, next to the engine alone and the codec alone on the same requests. Same workload as
 * bench/ws.ts (churn: a pass of joins then a pass of leaves over 100 000 players per stream,
 * 10 000 zones, 100 servers). Tells how much of bench:ws is the engine and how much the
 * front end. The last line printed is one JSON object.
 */
import { createEngine } from '../src/index.ts';
import { Op } from '../src/core/codes.ts';
import { GatewayBatchEncoder, RequestBuffer, ResultEncoder, decodeGatewayBatch } from '../src/wire/codec.ts';
import { machine } from './ws-procs.ts';

const N = 1000;
const WINDOW = 100_000;
const STREAMS = 4;
const WARMUP = 500;
const BATCHES = 3000;

const m = machine();
console.log(`bench:ws-inprocess  node ${m.node}  cpu ${m.cpu} x${m.cores}`);
console.log(`settings ${JSON.stringify({ batch: N, window: WINDOW, streams: STREAMS, batches: BATCHES, shards: 1 })}`);

const engine = await createEngine(
  { shards: 1, reconnectMs: 0, suspectAfterMs: 3.6e6, deadAfterMs: 3.6e6, limits: { playersPerServer: 100_000 } },
  { autoTick: true },
);
for (let i = 0; i < 100; i++) engine.registerServer({ id: `bench-${i}` });

const ops = new Uint8Array(N);
const players = new Uint32Array(N);
const zones = new Uint32Array(N);
const enc = new GatewayBatchEncoder(N);
const requests = new RequestBuffer(N);
const results = new ResultEncoder(N);
const sink = { status: new Uint8Array(N), server: new Int32Array(N), position: new Uint32Array(N), done: () => undefined };
const cursors = new Array<number>(STREAMS).fill(0);
let sinkCheck = 0;

function fill(b: number): void {
  const s = b % STREAMS;
  let c = cursors[s]!;
  for (let i = 0; i < N; i++, c++) {
    const player = s * 1_000_000 + (c % WINDOW);
    ops[i] = Math.floor(c / WINDOW) % 2 === 0 ? Op.Join : Op.Leave;
    players[i] = player;
    zones[i] = player % 10_000;
  }
  cursors[s] = c;
}

function run(kind: 'engine' | 'codec' | 'both', batches: number): number {
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    fill(b);
    if (kind === 'engine') {
      engine.submit({ ops, players, zones }, 0, N, sink);
    } else {
      decodeGatewayBatch(enc.encode(b, N, ops, players, zones), requests, N);
      if (kind === 'both') engine.submit(requests, 0, N, sink);
      sinkCheck += results.encode(b, N, requests.players, sink.server, sink.position, sink.status).length;
    }
  }
  return Math.round((batches * N * 1000) / (performance.now() - t0));
}

const out: Record<string, number> = {};
for (const kind of ['engine', 'codec', 'both'] as const) {
  run(kind, WARMUP);
  out[kind] = run(kind, BATCHES);
  console.log(`${kind.padEnd(8)} ${String(out[kind]).padStart(10)} requests/s`);
}
await engine.close();
// The codec-only loop includes encoding the GatewayBatch, which a server does not do.
console.log(JSON.stringify({ engineOnlyPerSec: out.engine, codecOnlyPerSec: out.codec, frontEndPathPerSec: out.both, checksum: sinkCheck % 1000, node: m.node, cpu: m.cpu, cores: m.cores }));
