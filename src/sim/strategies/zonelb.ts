/**
 * zonelb itself: the engine `zonelb serve` runs (LocalEngine: the control plane and one
 * ShardCore on this thread), on the simulator's virtual clock. It is told what a deployment
 * tells it (servers registering, heartbeats with their readings, drains, removals) and finds
 * crashes itself, from missing heartbeats.
 */
import { Op, Reason, Status } from '../../core/codes.ts';
import { createEngine } from '../../index.ts';
import type { Engine, ReplacementEvent, ResultSink } from '../../engine/types.ts';
import type { SimServer } from '../fleet.ts';
import { engineAdjacency } from '../world-map.ts';
import type { WorldMap } from '../world-map.ts';
import { Refusal, type MoveReason, type Strategy, type StrategyContext } from '../strategy.ts';

const REASONS: Partial<Record<number, MoveReason>> = {
  [Reason.Crashed]: 'failover',
  [Reason.Drained]: 'drain',
  [Reason.Removed]: 'drain',
  [Reason.Admitted]: 'admitted',
  [Reason.Lost]: 'lost',
};

export class ZonelbStrategy implements Strategy {
  readonly name = 'zonelb';
  private readonly ctx: StrategyContext;
  private readonly engine: Engine;
  /** Engine server handle → simulator server index. */
  private readonly indexOf = new Map<number, number>();
  // One request at a time through the batch path: preallocated, nothing allocated per request.
  private readonly req = { ops: new Uint8Array(1), players: new Uint32Array(1), zones: new Uint32Array(1) };
  private readonly sink: ResultSink = { status: new Uint8Array(1), server: new Int32Array(1), position: new Uint32Array(1), done: () => undefined };

  static async create(ctx: StrategyContext, map: WorldMap): Promise<ZonelbStrategy> {
    const s = ctx.scenario;
    const clock = { ms: 0 };
    const engine = await createEngine(
      {
        shards: 1,
        maxZones: map.zones,
        maxServers: 4096,
        maxPlayers: Math.max(1 << 16, 1 << Math.ceil(Math.log2(s.world.players * 4))),
        limits: { cpu: s.engine.cpuLimit, memory: s.engine.memoryLimit, playersPerServer: s.fleet.playersPerServer },
        reconnectMs: s.engine.reconnectMs,
        suspectAfterMs: s.engine.suspectAfterMs,
        deadAfterMs: s.engine.deadAfterMs,
        whenFull: s.engine.whenFull,
        ...(s.engine.adjacency ? { adjacency: engineAdjacency(map) } : {}),
      },
      { clock: () => clock.ms, autoTick: false },
    );
    return new ZonelbStrategy(ctx, engine, clock);
  }

  /** The virtual clock the engine reads, in milliseconds. */
  private readonly clock: { ms: number };

  private constructor(ctx: StrategyContext, engine: Engine, clock: { ms: number }) {
    this.ctx = ctx;
    this.engine = engine;
    this.clock = clock;
    engine.onReplacement((events) => this.replaced(events));
    engine.onEvent((e) => ctx.event(e));
  }

  private at(now: number): void {
    this.clock.ms = now * 1000;
  }

  addServer(s: SimServer, now: number): void {
    this.at(now);
    const info = this.engine.registerServer({ id: s.id, weight: s.weight });
    this.indexOf.set(info.handle, s.index);
  }

  async drainServer(s: SimServer, now: number): Promise<void> {
    this.at(now);
    await this.engine.drainServer(s.id, { move: true });
  }

  async removeServer(s: SimServer, now: number): Promise<void> {
    this.at(now);
    await this.engine.removeServer(s.id);
  }

  /** The engine's own failure detector finds crashes (from missing heartbeats) during tick. */
  serverDead(): void {}

  heartbeat(s: SimServer, now: number): void {
    this.at(now);
    this.engine.heartbeat(s.id, { cpu: s.cpu, memory: s.memory, players: s.players });
  }

  join(player: number, zone: number, now: number): number {
    return this.decide(Op.Join, player, zone, now);
  }

  move(player: number, zone: number, now: number): number {
    return this.decide(Op.Move, player, zone, now);
  }

  leave(player: number, now: number): void {
    this.decide(Op.Leave, player, 0, now);
  }

  async tick(now: number): Promise<void> {
    this.at(now);
    await this.engine.tick(this.clock.ms);
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  private decide(op: number, player: number, zone: number, now: number): number {
    this.at(now);
    this.req.ops[0] = op;
    this.req.players[0] = player;
    this.req.zones[0] = zone;
    // LocalEngine answers synchronously: the sink holds the answer when submit returns.
    this.engine.submit(this.req, 0, 1, this.sink);
    switch (this.sink.status[0]) {
      case Status.Ok:
      case Status.Reconnected:
        return this.indexOf.get(this.sink.server[0]!) ?? Refusal.Full;
      case Status.Queued:
        return Refusal.Queued;
      case Status.NoServers:
        return Refusal.NoServers;
      default:
        return Refusal.Full;
    }
  }

  private replaced(events: ReplacementEvent[]): void {
    for (const e of events) {
      const reason = REASONS[e.reason];
      if (reason === undefined) continue;
      const index = e.newServer < 0 ? -1 : (this.indexOf.get(e.newServer) ?? -1);
      this.ctx.moved(e.player, index, index < 0 ? 'lost' : reason);
    }
  }
}
