/**
 * The demo's synthetic gateway: players join, walk between neighbouring zones and leave, sent
 * as binary batches over the real gateway WebSocket. One zone is popular (a city), so it
 * outgrows one server and is split. Some players who leave come back a couple of seconds later
 * (a dropped connection), and find the seat zonelb kept for them (Reconnected). Seeded, so
 * every run tells the same story.
 */
import { Op, Reason, statusName } from '../core/codes.ts';
import { GatewayClient } from '../net/gateway-client.ts';
import { Rng } from '../sim/rng.ts';
import { LatencyRecorder } from '../net/latency.ts';
import type { ReplacementEvents } from '../wire/codec.ts';

export interface DemoTraffic {
  /** Players the world holds once it has filled up. */
  population: number;
  zones: number;
  /** The popular zone and the share of joins it gets. */
  hotZone: number;
  hotShare: number;
  batchSize: number;
  batchesPerSec: number;
  seed: number;
}

export interface GatewayTotals {
  sent: number;
  answered: number;
  byStatus: Record<string, number>;
  replaced: Record<string, number>;
}


/** Share of a churn batch (once the world has filled up) that leaves; most of the rest walk. */
const LEAVE_SHARE = 0.05;
/** Share of leaving players whose connection only dropped: they join again after RECONNECT_BATCHES. */
const RECONNECT_SHARE = 0.3;
const RECONNECT_BATCHES = 40;
/** New players replace those who left for good, so the world stays at its population. */
const JOIN_SHARE = LEAVE_SHARE * (1 - RECONNECT_SHARE);

const REASON_NAMES = Object.fromEntries(Object.entries(Reason).map(([k, v]) => [v, k])) as Record<number, string>;

export class DemoGateway {
  readonly latency = new LatencyRecorder();
  readonly totals: GatewayTotals = { sent: 0, answered: 0, byStatus: {}, replaced: {} };
  private readonly random: () => number;
  /** Players in the world (placed or queued), by index; swap-remove keeps them dense. */
  private readonly ids: Uint32Array;
  private readonly zoneOf: Uint32Array;
  private count = 0;
  private nextPlayer = 1;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly ops: Uint8Array;
  private readonly players: Uint32Array;
  private readonly zones: Uint32Array;
  /** Players coming back (a ring, in leave order): id, zone, and the batch they rejoin in. */
  private readonly backPlayer: Uint32Array;
  private readonly backZone: Uint32Array;
  private readonly backDue: Uint32Array;
  private backHead = 0;
  private backCount = 0;
  private batches = 0;

  private constructor(
    private readonly client: GatewayClient,
    private readonly t: DemoTraffic,
    private readonly onEvent: (line: string) => void,
  ) {
    const stream = new Rng(t.seed, 'demo-gateway');
    this.random = () => stream.next();
    this.ids = new Uint32Array(t.population * 2);
    this.zoneOf = new Uint32Array(t.population * 2);
    this.ops = new Uint8Array(t.batchSize);
    this.players = new Uint32Array(t.batchSize);
    this.zones = new Uint32Array(t.batchSize);
    this.backPlayer = new Uint32Array(t.population);
    this.backZone = new Uint32Array(t.population);
    this.backDue = new Uint32Array(t.population);
    client.onReplacement((ev) => this.replaced(ev));
    client.onError((err) => onEvent(`gateway: zonelb refused a frame: ${err.code}: ${err.message}`));
  }

  static async connect(url: string, traffic: DemoTraffic, onEvent: (line: string) => void): Promise<DemoGateway> {
    return new DemoGateway(await GatewayClient.connect(url), traffic, onEvent);
  }

  start(): void {
    this.timer = setInterval(() => this.sendBatch(), Math.max(1, Math.round(1000 / this.t.batchesPerSec)));
  }

  get playersInWorld(): number {
    return this.count;
  }

  /** Stops sending, lets the batches in flight come back (at most 2 s), then closes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (let i = 0; i < 200 && this.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await this.client.close();
  }

  private pickZone(): number {
    if (this.random() < this.t.hotShare) return this.t.hotZone;
    return Math.floor(this.random() * this.t.zones);
  }

  /** A batch: joins while the world fills up, then a churn of moves, leaves and joins. */
  private sendBatch(): void {
    if (this.inFlight > 4) return; // zonelb is slow to answer: do not pile up
    const n = this.t.batchSize;
    const filling = this.count < this.t.population;
    this.batches++;
    for (let i = 0; i < n; i++) {
      const r = this.random();
      if (this.backCount > 0 && this.backDue[this.backHead]! <= this.batches) {
        // A dropped connection comes back, to the zone it was in.
        const b = this.backHead;
        this.backHead = (b + 1) % this.backPlayer.length;
        this.backCount--;
        this.ops[i] = Op.Join;
        this.players[i] = this.backPlayer[b]!;
        this.zones[i] = this.backZone[b]!;
        this.track(this.players[i]!, this.zones[i]!);
      } else if (this.count === 0 || filling || r < JOIN_SHARE) {
        this.ops[i] = Op.Join;
        this.players[i] = this.nextPlayer++;
        this.zones[i] = this.pickZone();
        this.track(this.players[i]!, this.zones[i]!);
      } else {
        const k = Math.floor(this.random() * this.count);
        const player = this.ids[k]!;
        if (r < JOIN_SHARE + LEAVE_SHARE) {
          // A dropped connection (the player comes back) is a Leave, which holds the seat;
          // a logout is a Quit, which frees it at once.
          const dropped = this.random() < RECONNECT_SHARE;
          this.ops[i] = dropped ? Op.Leave : Op.Quit;
          this.players[i] = player;
          this.zones[i] = 0;
          if (dropped) this.comeBack(player, this.zoneOf[k]!);
          this.untrack(k);
        } else {
          // Walk to a neighbouring zone (zones are a line; the hot zone keeps its pull).
          const here = this.zoneOf[k]!;
          const there = this.random() < this.t.hotShare ? this.t.hotZone : (here + (this.random() < 0.5 ? this.t.zones - 1 : 1)) % this.t.zones;
          this.ops[i] = Op.Move;
          this.players[i] = player;
          this.zones[i] = there;
          this.zoneOf[k] = there;
        }
      }
    }
    this.inFlight++;
    this.totals.sent += n;
    const started = performance.now();
    this.client.send(this.ops, this.players, this.zones, n).then(
      (a) => {
        this.inFlight--;
        this.latency.recordMs(performance.now() - started);
        this.totals.answered += a.count;
        for (let i = 0; i < a.count; i++) {
          const name = statusName[a.statuses[i]!] ?? String(a.statuses[i]);
          this.totals.byStatus[name] = (this.totals.byStatus[name] ?? 0) + 1;
        }
      },
      (err: Error) => {
        this.inFlight--;
        this.onEvent(`gateway: batch failed: ${err.message}`);
      },
    );
  }

  private track(player: number, zone: number): void {
    if (this.count >= this.ids.length) return;
    this.ids[this.count] = player;
    this.zoneOf[this.count] = zone;
    this.count++;
  }

  private comeBack(player: number, zone: number): void {
    if (this.backCount === this.backPlayer.length) return;
    const at = (this.backHead + this.backCount) % this.backPlayer.length;
    this.backPlayer[at] = player;
    this.backZone[at] = zone;
    this.backDue[at] = this.batches + RECONNECT_BATCHES;
    this.backCount++;
  }

  private untrack(k: number): void {
    this.count--;
    this.ids[k] = this.ids[this.count]!;
    this.zoneOf[k] = this.zoneOf[this.count]!;
  }

  private replaced(ev: ReplacementEvents): void {
    const by: Record<string, number> = {};
    for (let i = 0; i < ev.count; i++) {
      const name = REASON_NAMES[ev.reasons[i]!] ?? String(ev.reasons[i]);
      by[name] = (by[name] ?? 0) + 1;
      this.totals.replaced[name] = (this.totals.replaced[name] ?? 0) + 1;
    }
    // Queue admissions arrive every tick while a queue drains: summarised in the status line.
    const notable = Object.entries(by).filter(([k]) => k !== 'Admitted');
    if (notable.length > 0) {
      this.onEvent(`gateway: zonelb pushed ${ev.count} re-placements (${Object.entries(by).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    }
  }
}
