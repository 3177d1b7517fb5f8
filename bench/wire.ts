/**
 * Wire codec micro-benchmark:  npx tsx bench/wire.ts   (npm run bench:wire)
 *
 * Batches of 1000 requests/results. Each codec path is compared in the same run with
 *   - a plain DataView loop over the same bytes (no FlatBuffers walking, no validation):
 *     the floor for "read 1000 structs into typed arrays" / "write 1000 structs";
 *   - the flatc-generated per-element accessors / createX builders (what the codec avoids).
 * Rates are requests (or results) per second, median of several timed rounds.
 * The last line printed is one JSON object with every number.
 */
import { cpus } from 'node:os';
import { Builder, ByteBuffer } from 'flatbuffers';
import { Op, Status } from '../src/core/codes.ts';
import {
  decodeGatewayBatch,
  decodeResultBatch,
  GatewayBatchEncoder,
  REQUEST_SIZE,
  RequestBuffer,
  RESULT_SIZE,
  ResultBuffer,
  ResultEncoder,
} from '../src/wire/codec.ts';
import { Envelope, GatewayBatch, Message, Request, Result, ResultBatch } from '../src/wire/generated/zonelb_generated.ts';

const N = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const BATCHES_PER_ROUND = Number(process.env.BENCH_BATCHES ?? 1000);

let sink = 0;

type Case = { fn: () => void; rates: number[] };
const cases: Case[] = [];

/**
 * Register `fn` (processes one N-item batch per call). All cases are warmed up, then timed
 * round-robin (one round of each case in turn, ROUNDS times), so machine noise hits them
 * alike; `rate(case)` is the median items/s.
 */
function bench(fn: () => void): Case {
  const c = { fn, rates: [] };
  cases.push(c);
  return c;
}

function runAll(): void {
  for (const c of cases) for (let i = 0; i < BATCHES_PER_ROUND; i++) c.fn();
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      const fn = c.fn;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCHES_PER_ROUND; i++) fn();
      const ns = Number(process.hrtime.bigint() - t0);
      c.rates.push((BATCHES_PER_ROUND * N * 1e9) / ns);
    }
  }
}

function rate(c: Case): number {
  const sorted = [...c.rates].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

// ---- inputs -----------------------------------------------------------------------------

const ops = new Uint8Array(N);
const players = new Uint32Array(N);
const zones = new Uint32Array(N);
const servers = new Int32Array(N);
const positions = new Uint32Array(N);
const statuses = new Uint8Array(N);
for (let i = 0; i < N; i++) {
  ops[i] = [Op.Join, Op.Leave, Op.Move][i % 3];
  players[i] = (i * 2654435761) >>> 0;
  zones[i] = i % 4096;
  statuses[i] = i % 10 === 0 ? Status.Queued : Status.Ok;
  servers[i] = statuses[i] === Status.Queued ? -1 : i % 200;
  positions[i] = statuses[i] === Status.Queued ? i : 0;
}

const gatewayFrame = new GatewayBatchEncoder(N).encode(7, N, ops, players, zones).slice();
const resultFrame = new ResultEncoder(N).encode(7, N, players, servers, positions, statuses).slice();

// Where the struct vectors start (located once with the generated accessors, for the baselines).
const reqStart = (Envelope.getRootAsEnvelope(new ByteBuffer(gatewayFrame)).message(new GatewayBatch()) as GatewayBatch).requests(0)!.bb_pos;
const resStart = (Envelope.getRootAsEnvelope(new ByteBuffer(resultFrame)).message(new ResultBatch()) as ResultBatch).results(0)!.bb_pos;

// ---- decode -----------------------------------------------------------------------------

const reqOut = new RequestBuffer(N);
const decodeCodecCase = bench(() => {
  decodeGatewayBatch(gatewayFrame, reqOut, N);
  sink += reqOut.count;
});

/** Baseline: the struct offset is known in advance, nothing is checked. */
function plainDecodeRequests(bytes: Uint8Array, start: number, n: number, out: RequestBuffer): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const o = out.ops;
  const pl = out.players;
  const z = out.zones;
  for (let i = 0, p = start; i < n; i++, p += REQUEST_SIZE) {
    o[i] = dv.getUint8(p);
    pl[i] = dv.getUint32(p + 4, true);
    z[i] = dv.getUint32(p + 8, true);
  }
  out.count = n;
}
const decodeDataViewCase = bench(() => {
  plainDecodeRequests(gatewayFrame, reqStart, N, reqOut);
  sink += reqOut.count;
});

const reqObj = new Request();
const decodeGeneratedCase = bench(() => {
  const gb = Envelope.getRootAsEnvelope(new ByteBuffer(gatewayFrame)).message(new GatewayBatch()) as GatewayBatch;
  const n = gb.requestsLength();
  for (let i = 0; i < n; i++) {
    const r = gb.requests(i, reqObj)!;
    reqOut.ops[i] = r.op();
    reqOut.players[i] = r.player();
    reqOut.zones[i] = r.zone();
  }
  sink += n;
});

const resOut = new ResultBuffer(N);
const decodeResultsCodecCase = bench(() => {
  decodeResultBatch(resultFrame, resOut);
  sink += resOut.count;
});

function plainDecodeResults(bytes: Uint8Array, start: number, n: number, out: ResultBuffer): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pl = out.players;
  const sv = out.servers;
  const ps = out.positions;
  const st = out.statuses;
  for (let i = 0, p = start; i < n; i++, p += RESULT_SIZE) {
    pl[i] = dv.getUint32(p, true);
    sv[i] = dv.getInt32(p + 4, true);
    ps[i] = dv.getUint32(p + 8, true);
    st[i] = dv.getUint8(p + 12);
  }
  out.count = n;
}
const decodeResultsDataViewCase = bench(() => {
  plainDecodeResults(resultFrame, resStart, N, resOut);
  sink += resOut.count;
});

// ---- encode -----------------------------------------------------------------------------

const resultEncoder = new ResultEncoder(N);
const encodeCodecCase = bench(() => {
  sink += resultEncoder.encode(7, N, players, servers, positions, statuses).length;
});

/** Baseline: write the struct bytes into a preallocated buffer; no envelope, no builder. */
function plainEncodeResults(dv: DataView, n: number, pl: Uint32Array, sv: Int32Array, ps: Uint32Array, st: Uint8Array): void {
  for (let i = 0, p = 0; i < n; i++, p += RESULT_SIZE) {
    dv.setUint32(p, pl[i], true);
    dv.setUint32(p + 4, sv[i], true);
    dv.setUint32(p + 8, ps[i], true);
    dv.setUint32(p + 12, st[i], true);
  }
}
const plainOut = new Uint8Array(N * RESULT_SIZE);
const plainDv = new DataView(plainOut.buffer);
const encodeDataViewCase = bench(() => {
  plainEncodeResults(plainDv, N, players, servers, positions, statuses);
  sink += plainOut[5];
});

const genBuilder = new Builder(N * RESULT_SIZE + 128);
const encodeGeneratedCase = bench(() => {
  const b = genBuilder;
  b.clear();
  ResultBatch.startResultsVector(b, N);
  for (let i = N - 1; i >= 0; i--) Result.createResult(b, players[i], servers[i], positions[i], statuses[i]);
  const vec = b.endVector();
  Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, Message.ResultBatch, ResultBatch.createResultBatch(b, 7, vec)));
  sink += b.asUint8Array().length;
});

const gatewayEncoder = new GatewayBatchEncoder(N);
const encodeGatewayCodecCase = bench(() => {
  sink += gatewayEncoder.encode(7, N, ops, players, zones).length;
});

// ---- report -----------------------------------------------------------------------------

runAll();
const decodeCodec = rate(decodeCodecCase);
const decodeDataView = rate(decodeDataViewCase);
const decodeGenerated = rate(decodeGeneratedCase);
const decodeResultsCodec = rate(decodeResultsCodecCase);
const decodeResultsDataView = rate(decodeResultsDataViewCase);
const encodeCodec = rate(encodeCodecCase);
const encodeDataView = rate(encodeDataViewCase);
const encodeGenerated = rate(encodeGeneratedCase);
const encodeGatewayCodec = rate(encodeGatewayCodecCase);

const fmt = (r: number) => `${(r / 1e6).toFixed(1).padStart(7)} M/s`;
const cpu = cpus()[0]?.model ?? 'unknown';
console.log(`node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}`);
console.log(`cpu ${cpu} x${cpus().length}`);
console.log(`batch ${N}, ${ROUNDS} interleaved rounds x ${BATCHES_PER_ROUND} batches per case, median; frames: GatewayBatch ${gatewayFrame.length} B, ResultBatch ${resultFrame.length} B`);
console.log('');
console.log('decode GatewayBatch (requests/s)');
console.log(`  codec decodeGatewayBatch (validated)   ${fmt(decodeCodec)}`);
console.log(`  plain DataView loop (no validation)    ${fmt(decodeDataView)}   codec = ${((decodeCodec / decodeDataView) * 100).toFixed(0)}%`);
console.log(`  generated per-element accessors        ${fmt(decodeGenerated)}   codec = ${(decodeCodec / decodeGenerated).toFixed(1)}x`);
console.log('decode ResultBatch (results/s)');
console.log(`  codec decodeResultBatch (validated)    ${fmt(decodeResultsCodec)}`);
console.log(`  plain DataView loop (no validation)    ${fmt(decodeResultsDataView)}   codec = ${((decodeResultsCodec / decodeResultsDataView) * 100).toFixed(0)}%`);
console.log('encode ResultBatch (results/s)');
console.log(`  codec ResultEncoder.encode             ${fmt(encodeCodec)}`);
console.log(`  plain DataView loop (structs only)     ${fmt(encodeDataView)}   codec = ${((encodeCodec / encodeDataView) * 100).toFixed(0)}%`);
console.log(`  generated createResult per element     ${fmt(encodeGenerated)}   codec = ${(encodeCodec / encodeGenerated).toFixed(1)}x`);
console.log('encode GatewayBatch (requests/s)');
console.log(`  codec GatewayBatchEncoder.encode       ${fmt(encodeGatewayCodec)}`);
if (sink === -1) console.log('');

const round = (r: number) => Math.round(r);
console.log(
  JSON.stringify({
    bench: 'wire',
    node: process.version,
    cpu,
    batch: N,
    rounds: ROUNDS,
    batchesPerRound: BATCHES_PER_ROUND,
    decodeGatewayBatch: { codec: round(decodeCodec), plainDataView: round(decodeDataView), generatedAccessors: round(decodeGenerated) },
    decodeResultBatch: { codec: round(decodeResultsCodec), plainDataView: round(decodeResultsDataView) },
    encodeResultBatch: { codec: round(encodeCodec), plainDataView: round(encodeDataView), generatedCreate: round(encodeGenerated) },
    encodeGatewayBatch: { codec: round(encodeGatewayCodec) },
    unit: 'items/s',
  }),
);
