import type { Status } from '../core/codes.ts';
import { NO_SERVER, Op, Reason } from '../core/codes.ts';
import { ErrorCode, ZonelbError, invalidArgument } from '../core/errors.ts';
import { MAX_PLAYER_ID, type ServerTable, type ZoneTable } from '../core/layout.ts';
import type { ReplacementEvents } from '../core/event-log.ts';
import type { EngineOptions } from '../core/options.ts';
import type { Ring } from '../core/ring.ts';
import type { ZoneRow } from '../core/shard-core.ts';
import { ControlPlane } from './control-plane.ts';
import { EventHub, type EngineEvent, type EngineEventListener } from './engine-events.ts';
import { EngineStats } from './engine-stats.ts';
import { parseHotZonePlan } from './hot-zone-plan.ts';
import { ZoneChangeRelay } from './zone-change-relay.ts';
import { sampleAllZones } from './zone-sampling.ts';
import type {
  Engine,
  HeartbeatReport,
  HotZonePlan,
  Placement,
  ReplacementEvent,
  RequestArrays,
  ResultSink,
  ServerInfo,
  ServerSpec,
  ZoneInfo,
} from './types.ts';

export type Clock = () => number;

export interface EngineRuntime {
  /** Time source in milliseconds (default: performance.now). Inject a virtual clock to simulate. */
  clock?: Clock;
  /** Run tick() every options.tickMs on a timer (default true). Off for virtual time. */
  autoTick?: boolean;
}

/**
 * What the single-threaded and the sharded engine share: the control plane, the lifecycle of
 * servers (failure detection, drain, removal and the re-placement of their players), the
 * convenience API and event delivery. Subclasses say how to reach their shards.
 */
export abstract class EngineBase implements Engine {
  readonly options: EngineOptions;
  protected readonly cp: ControlPlane;
  protected readonly clock: Clock;
  protected closed = false;
  private readonly listeners = new Set<(events: ReplacementEvent[]) => void>();
  private timer: NodeJS.Timeout | undefined;
  /** The latest crash handled: whose, how many players re-placed, and how long it took (wall clock). */
  lastFailover: { serverId: string; players: number; ms: number; at: number } | undefined;
  private ticking: Promise<ReplacementEvent[]> | undefined;
  protected readonly events = new EventHub();
  /** Answers by status, per-shard batches and busy time (read by the metrics exporter). */
  readonly stats: EngineStats;
  /**
   * Servers being evacuated (slot → the evacuation): removeServer and the failure detector
   * may both reach for the same server; only the first evacuates and frees the slot.
   */
  private readonly retiring = new Map<number, Promise<ReplacementEvent[]>>();
  /** The shared zone rows (sampled for the hot-zone detector from this thread). */
  private readonly zoneRows: Int32Array;
  /** The zone id bound (see ZoneTable.idBound). */
  private readonly zoneBound: Int32Array;
  /** Zone splits and merges logged by the shards, relayed as events (subclasses watch each shard). */
  protected readonly zoneChanges: ZoneChangeRelay;

  protected constructor(options: EngineOptions, table: ServerTable, zones: ZoneTable, runtime: EngineRuntime) {
    this.options = options;
    this.cp = new ControlPlane(table, options, this.events);
    this.clock = runtime.clock ?? (() => performance.now());
    this.stats = new EngineStats(options.shards);
    this.zoneRows = zones.rows;
    this.zoneBound = zones.idBound;
    this.zoneChanges = new ZoneChangeRelay(this.events, this.clock);
  }

  protected startTimer(runtime: EngineRuntime): void {
    if (runtime.autoTick === false) return;
    this.timer = setInterval(() => {
      this.tick().catch(() => undefined);
    }, this.options.tickMs);
    this.timer.unref();
  }

  abstract submit(requests: RequestArrays, start: number, count: number, sink: ResultSink): void;
  protected abstract shardsEvacuate(slot: number, reason: Reason, onlyIfRoom: boolean): Promise<ReplacementEvents>;
  protected abstract shardsTick(now: number): Promise<ReplacementEvents>;
  protected abstract shardsPlayersOn(slot: number): Promise<number[]>;
  protected abstract shardsRing(ring: Ring): void;
  protected abstract shardsZones(): Promise<ZoneRow[]>;
  /** Apply a hot-zone plan (servers 0 = lift) in the zone's owning shard. */
  protected abstract shardsHotZone(zone: number, servers: number, reserve: number): Promise<void>;
  protected abstract shardsQueued(): number;
  protected abstract shutdown(): Promise<void>;

  protected checkOpen(): void {
    if (this.closed) throw new ZonelbError(ErrorCode.EngineClosed, 'the engine is closed');
  }

  protected checkBatch(count: number): void {
    this.checkOpen();
    if (!Number.isInteger(count) || count < 0) throw invalidArgument('count', count, 'an integer ≥ 0');
    if (count > this.options.maxBatch) {
      throw new ZonelbError(
        ErrorCode.BatchTooLarge,
        `batch of ${count} requests is larger than maxBatch (${this.options.maxBatch})`,
        { field: 'count' },
      );
    }
  }

  /** Rebuild and publish the ring if membership changed. Cheap when nothing changed. */
  protected syncRing(): void {
    const ring = this.cp.takeRing();
    if (ring) {
      this.cp.refreshRoom();
      this.shardsRing(ring);
    }
  }

  // ------------------------------------------------------------------ one request at a time

  join(player: number, zone: number): Promise<Placement> {
    this.checkPlayer(player);
    this.checkZone(zone);
    return this.one(Op.Join, player, zone);
  }

  leave(player: number): Promise<Placement> {
    this.checkPlayer(player);
    return this.one(Op.Leave, player, 0);
  }

  quit(player: number): Promise<Placement> {
    this.checkPlayer(player);
    return this.one(Op.Quit, player, 0);
  }

  move(player: number, zone: number): Promise<Placement> {
    this.checkPlayer(player);
    this.checkZone(zone);
    return this.one(Op.Move, player, zone);
  }

  private one(op: number, player: number, zone: number): Promise<Placement> {
    const req = { ops: Uint8Array.of(op), players: Uint32Array.of(player), zones: Uint32Array.of(zone) };
    return new Promise((resolve) => {
      const sink: ResultSink = {
        status: new Uint8Array(1),
        server: new Int32Array(1),
        position: new Uint32Array(1),
        done: () => {
          const server = sink.server[0]!;
          resolve({
            player,
            status: sink.status[0] as Status,
            server,
            serverId: this.cp.idOf(server),
            position: sink.position[0]!,
          });
        },
      };
      this.submit(req, 0, 1, sink);
    });
  }

  private checkPlayer(player: unknown): void {
    if (typeof player !== 'number' || !Number.isInteger(player) || player < 0 || player > MAX_PLAYER_ID) {
      throw invalidArgument('player', player, `an integer in [0, ${MAX_PLAYER_ID}]`);
    }
  }

  private checkZone(zone: unknown): void {
    if (typeof zone !== 'number' || !Number.isInteger(zone) || zone < 0 || zone >= this.options.maxZones) {
      throw invalidArgument('zone', zone, `an integer in [0, ${this.options.maxZones - 1}] (maxZones)`);
    }
  }

  // ------------------------------------------------------------------ servers

  registerServer(spec: ServerSpec): ServerInfo {
    this.checkOpen();
    return this.cp.register(spec, this.clock());
  }

  heartbeat(id: string, report: HeartbeatReport): ServerInfo {
    this.checkOpen();
    return this.cp.heartbeat(id, report, this.clock());
  }

  async drainServer(id: string, options: { move?: boolean } = {}): Promise<{ players: number[]; moved: number }> {
    this.checkOpen();
    const slot = this.cp.drain(id, this.clock());
    let moved = 0;
    if (options.move) {
      this.syncRing();
      const events = await this.shardsEvacuate(slot, Reason.Drained, true);
      this.zoneChanges.flush();
      moved = events.count;
      this.publish(this.describe(events));
    }
    return { players: await this.shardsPlayersOn(slot), moved };
  }

  async removeServer(id: string): Promise<ReplacementEvent[]> {
    this.checkOpen();
    const slot = this.cp.slotOf(id);
    const inFlight = this.retiring.get(slot);
    if (inFlight) {
      // Already on its way out (a second remove, or the failure detector got there first).
      await inFlight;
      return [];
    }
    this.cp.markDead(slot);
    this.syncRing();
    const events = await this.retire(slot, Reason.Removed);
    this.events.emit({ type: 'server-removed', at: this.clock(), serverId: id, players: events.length });
    return this.publish(events);
  }

  /** Evacuates a dead server's players and frees its slot, once, however many callers ask. */
  private retire(slot: number, reason: Reason): Promise<ReplacementEvent[]> {
    const evacuation = (async () => {
      try {
        // Described before release(), while the server's id is still known.
        const events = this.describe(await this.shardsEvacuate(slot, reason, false));
        this.zoneChanges.flush();
        return events;
      } finally {
        this.cp.release(slot);
        this.retiring.delete(slot);
      }
    })();
    this.retiring.set(slot, evacuation);
    return evacuation;
  }

  servers(): ServerInfo[] {
    return this.cp.list();
  }

  server(id: string): ServerInfo {
    return this.cp.info(this.cp.slotOf(id));
  }

  hasServer(id: string): boolean {
    return this.cp.has(id);
  }

  serverIdOf(handle: number): string | undefined {
    return this.cp.idOf(handle);
  }

  queued(): number {
    return this.shardsQueued();
  }

  async zones(): Promise<ZoneInfo[]> {
    const raw = await this.shardsZones();
    return raw.map((z) => ({
      zone: z.zone,
      population: z.population,
      servers: z.servers.map((s) => ({ ...s, serverId: this.cp.idOf(s.server) ?? '' })),
      hot: z.hot,
    }));
  }

  // ------------------------------------------------------------------ hot zones

  sampleZones(joins: Uint32Array, population: Uint32Array, servers?: Uint32Array, from = 0, to = Infinity): number {
    return sampleAllZones(this.zoneRows, Atomics.load(this.zoneBound, 0), this.options.maxZones, joins, population, servers, from, to);
  }

  async setHotZone(zone: number, plan: HotZonePlan | null): Promise<void> {
    this.checkOpen();
    this.checkZone(zone);
    const p = parseHotZonePlan(plan);
    // Pre-splitting looks for room through the ring and the room list: bring them up to date.
    this.syncRing();
    await this.shardsHotZone(zone, p?.servers ?? 0, p?.reserve ?? 0);
    this.zoneChanges.flush();
  }

  // ------------------------------------------------------------------ background work

  /**
   * Failure detection (dead servers' players re-placed at once), then each shard's tick:
   * reservation expiry, queue admission, merging of zones that shrank. Ticks never overlap.
   */
  tick(now: number = this.clock()): Promise<ReplacementEvent[]> {
    if (this.closed) return Promise.resolve([]);
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick(now).finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async runTick(now: number): Promise<ReplacementEvent[]> {
    const dead = this.cp.detectFailures(now);
    // Re-place first (dead servers are skipped by their state), rebuild the ring after: the
    // players of a crashed server should not wait for ring maintenance.
    if (dead.length > 0) this.cp.refreshRoom();
    const out: ReplacementEvent[] = [];
    for (const slot of dead) {
      const started = performance.now();
      const id = this.cp.idOf(this.cp.handleOf(slot)) ?? '';
      const events = await this.retire(slot, Reason.Crashed);
      const ms = performance.now() - started;
      this.lastFailover = { serverId: id, players: events.length, ms, at: now };
      let lost = 0;
      for (const e of events) if (e.reason === Reason.Lost) lost++;
      this.events.emit({ type: 'server-dead', at: now, serverId: id, players: events.length - lost, lost, failoverMs: ms });
      for (const e of events) out.push(e);
    }
    this.syncRing();
    this.cp.refreshRoom();
    for (const e of this.describe(await this.shardsTick(now))) out.push(e);
    this.zoneChanges.flush(now);
    return this.publish(out);
  }

  /** Control-plane events (servers joining, draining, dying; zones splitting; hot zones; scaling). */
  onEvent(listener: EngineEventListener): () => void {
    return this.events.on(listener);
  }

  /** Publishes an event from a part of the control plane that runs beside the engine. */
  emitEvent(event: EngineEvent): void {
    this.events.emit(event);
  }

  onReplacement(listener: (events: ReplacementEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected describe(e: ReplacementEvents): ReplacementEvent[] {
    const out: ReplacementEvent[] = new Array(e.count);
    for (let i = 0; i < e.count; i++) {
      const oldServer = e.oldServers[i]!;
      const newServer = e.newServers[i]!;
      out[i] = {
        player: e.players[i]!,
        zone: e.zones[i]!,
        oldServer,
        newServer,
        oldServerId: oldServer === NO_SERVER ? undefined : this.cp.idOf(oldServer),
        newServerId: newServer === NO_SERVER ? undefined : this.cp.idOf(newServer),
        reason: e.reasons[i] as Reason,
      };
    }
    return out;
  }

  protected publish(events: ReplacementEvent[]): ReplacementEvent[] {
    if (events.length > 0) for (const l of this.listeners) l(events);
    return events;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.ticking) await this.ticking.catch(() => undefined);
    await this.shutdown();
  }
}

