/**
 * One load-generator thread of bench/ws.ts. Opens its connections, runs one phase, reports
 * back and exits. Counting is the same against zonelb and against the echo server: a reply
 * carrying n requests counts n (zonelb: a ResultBatch of n results; echo: the GatewayBatch of
 * n requests, decoded the same way).
 *
 * closed: every connection keeps `pipeline` messages in flight, sending one per reply.
 * open:   messages leave on a fixed schedule (`rate` per second for this thread), whatever the
 *         replies do; latency runs from the scheduled send time, so a stall is charged to every
 *         message it delayed (no coordinated omission).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { Op } from '../src/core/codes.ts';
import { processCpuMs } from './ws-procs.ts';
import { WsClient } from '../src/net/ws-client.ts';
import { GatewayBatchEncoder, RequestBuffer, ResultBuffer, decodeGatewayBatch, decodeResultBatch } from '../src/wire/codec.ts';

export interface PhaseConfig {
  mode: 'closed' | 'open';
  url: string;
  echo: boolean;
  connections: number;
  batch: number;
  pipeline: number;
  /** Messages per second for this thread (open loop). */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** First player id of this thread; each connection takes a range of its own. */
  playerBase: number;
  zones: number;
  /** churn: a pass of joins, then a pass of leaves. moves: one pass of joins, then passes of moves to a neighbouring zone and back. */
  workload: 'churn' | 'moves';
  /** The server's process id, to read the CPU time it spends over the timed window. */
  serverPid: number;
}

export interface PhaseResult {
  requests: number;
  messages: number;
  elapsedMs: number;
  /** Answers by status code (zonelb only). */
  statuses: number[];
  errors: number;
  histogram: string;
  /** CPU time over the timed window (user + system, all threads): the server's (undefined without /proc) and this process's. */
  serverCpuMs: number | undefined;
  generatorCpuMs: number;
}

/** Each connection cycles through this many players (see PhaseConfig.workload). */
const WINDOW = 100_000;
const SEQ_RING = 1 << 16;

const cfg = workerData as PhaseConfig;
const hist: Histogram = build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const statuses = new Array<number>(16).fill(0);
let requests = 0;
let messages = 0;
let errors = 0;
let measuring = false;
let running = true;
/** CPU times when the timed window opened (see startMeasuring). */
let serverCpuFrom: number | undefined;
let generatorCpuFrom = process.cpuUsage();

function startMeasuring(): void {
  if (measuring) return;
  measuring = true;
  serverCpuFrom = processCpuMs(cfg.serverPid);
  generatorCpuFrom = process.cpuUsage();
}

class Conn {
  readonly ws: WsClient;
  private readonly enc: GatewayBatchEncoder;
  private readonly ops: Uint8Array;
  private readonly players: Uint32Array;
  private readonly zones: Uint32Array;
  private readonly results: ResultBuffer;
  private readonly echoed: RequestBuffer;
  /** Send time (closed) or scheduled time (open) of each seq in flight. */
  private readonly sentAt = new Float64Array(SEQ_RING);
  private readonly countedAt = new Uint8Array(SEQ_RING);
  private seq = 0;
  private cursor = 0;
  inFlight = 0;

  constructor(
    ws: WsClient,
    private readonly base: number,
  ) {
    this.ws = ws;
    const n = cfg.batch;
    this.enc = new GatewayBatchEncoder(n);
    this.ops = new Uint8Array(n);
    this.players = new Uint32Array(n);
    this.zones = new Uint32Array(n);
    this.results = new ResultBuffer(n);
    this.echoed = new RequestBuffer(n);
    ws.onMessage = (data) => this.receive(data);
  }

  send(at: number): void {
    const n = cfg.batch;
    for (let i = 0; i < n; i++, this.cursor++) {
      const idx = this.cursor % WINDOW;
      const pass = Math.floor(this.cursor / WINDOW);
      const player = this.base + idx;
      const home = player % cfg.zones;
      this.players[i] = player;
      if (cfg.workload === 'churn') {
        this.ops[i] = pass % 2 === 0 ? Op.Join : Op.Leave;
        this.zones[i] = home;
      } else {
        this.ops[i] = pass === 0 ? Op.Join : Op.Move;
        this.zones[i] = pass % 2 === 0 ? home : (home + 1) % cfg.zones;
      }
    }
    this.seq = this.seq >= 0xfffffffe ? 1 : this.seq + 1;
    const slot = this.seq & (SEQ_RING - 1);
    this.sentAt[slot] = at;
    this.countedAt[slot] = measuring ? 1 : 0;
    this.inFlight++;
    this.ws.send(this.enc.encode(this.seq, n, this.ops, this.players, this.zones));
  }

  private receive(data: Uint8Array): void {
    const now = performance.now();
    let seq: number;
    let count: number;
    try {
      if (cfg.echo) {
        decodeGatewayBatch(data, this.echoed, cfg.batch);
        seq = this.echoed.seq;
        count = this.echoed.count;
      } else {
        const r = this.results;
        decodeResultBatch(data, r);
        seq = r.seq;
        count = r.count;
        if (measuring) for (let i = 0; i < count; i++) statuses[r.statuses[i]!]!++;
      }
    } catch {
      errors++; // an ErrorReply (or anything but an answer): counted, nothing carried
      this.inFlight--;
      if (cfg.mode === 'closed' && running) this.send(performance.now());
      return;
    }
    this.inFlight--;
    const slot = seq & (SEQ_RING - 1);
    // Counted when the reply arrives inside the window; latency only for messages sent inside it.
    if (measuring) {
      requests += count;
      messages++;
      if (this.countedAt[slot] === 1) hist.recordValue(Math.max(1, Math.round((now - this.sentAt[slot]!) * 1000)));
    }
    if (cfg.mode === 'closed' && running) this.send(now);
  }
}

async function main(): Promise<void> {
  const conns: Conn[] = [];
  for (let c = 0; c < cfg.connections; c++) {
    conns.push(new Conn(await WsClient.connect(cfg.url, { zeroMask: true, maxMessageBytes: 64 << 20 }), cfg.playerBase + c * 1_000_000));
  }
  const t0 = performance.now();
  const measureFrom = t0 + cfg.warmupMs;
  const measureTo = measureFrom + cfg.durationMs;
  const startWindow = setTimeout(startMeasuring, cfg.warmupMs);
  let elapsedFrom = 0;
  if (cfg.mode === 'closed') {
    for (const c of conns) for (let p = 0; p < cfg.pipeline; p++) c.send(performance.now());
    await new Promise((r) => setTimeout(r, cfg.warmupMs + cfg.durationMs));
    elapsedFrom = measureFrom;
  } else {
    // Catch-up scheduler: each turn sends every message whose time has come, then yields so
    // replies are read. Message k is due at t0 + k / rate. Between turns the thread sleeps
    // until the next message is due (Atomics.wait), however short that is: a kernel sleep
    // lasts at least ~50 µs (timer slack), and spinning instead (as this loop did for waits
    // under 20 µs, most of them at 50 000 messages/s) took a whole core from the server it
    // measures on a small machine. The sleep's overshoot is charged to latency (it runs from
    // the due time). The messages of one turn leave corked: one write per connection, as a
    // gateway's socket coalesces what it has; each is still its own WebSocket message.
    const interval = 1000 / cfg.rate;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    let k = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        let now = performance.now();
        if (now >= measureTo) return resolve();
        if (now >= measureFrom) startMeasuring();
        if (t0 + k * interval <= now) {
          for (const c of conns) c.ws.socket.cork();
          for (let due = t0 + k * interval; due <= now; due = t0 + k * interval) {
            conns[k % conns.length]!.send(due);
            k++;
          }
          for (const c of conns) c.ws.socket.uncork();
        }
        now = performance.now();
        const wait = t0 + k * interval - now;
        if (wait > 0) Atomics.wait(sleeper, 0, 0, Math.min(wait, 1));
        setImmediate(pump);
      };
      pump();
    });
    elapsedFrom = measureFrom;
  }
  const elapsedMs = performance.now() - elapsedFrom;
  const serverCpuTo = processCpuMs(cfg.serverPid);
  const generatorCpu = process.cpuUsage(generatorCpuFrom);
  measuring = false;
  running = false;
  clearTimeout(startWindow);
  // Let the messages in flight come back (bounded), so the servers are idle for the next phase.
  for (let i = 0; i < 300 && conns.some((c) => c.inFlight > 0); i++) await new Promise((r) => setTimeout(r, 10));
  await Promise.all(conns.map((c) => c.ws.close()));
  const result: PhaseResult = {
    requests,
    messages,
    elapsedMs,
    statuses,
    errors,
    histogram: encodeIntoCompressedBase64(hist),
    serverCpuMs: serverCpuFrom === undefined || serverCpuTo === undefined ? undefined : serverCpuTo - serverCpuFrom,
    generatorCpuMs: (generatorCpu.user + generatorCpu.system) / 1000,
  };
  parentPort!.postMessage(result);
}

void main();
