/**
 * zonelb itself: the engine `zonelb serve` runs (LocalEngine: the control plane and one
 * ShardCore on this thread) with its scaling loop beside it (ScaleController: the hot-zone
 * monitor, and the autoscaler when the scenario or the strategy turns it on), on the
 * simulator's virtual clock. It is told what a deployment tells it (servers registering,
 * heartbeats with their readings, drains, removals) and finds crashes itself, from missing
 * heartbeats. Its autoscaler starts and stops simulated servers through SimScaleProvider.
 */
import { NO_SERVER, Op, Reason, Status, statusName } from '../../core/codes.ts';
import { LocalEngine } from '../../engine/local-engine.ts';
import type { AdmissionSeats, ReplacementEvent, ResultSink } from '../../engine/types.ts';
import { ScaleController } from '../../scale/scale-controller.ts';
import type { ScaleOptions } from '../../scale/scale-options.ts';
import type { SimServer } from '../fleet.ts';
import { simScaleOptions } from '../scenario.ts';
import { SimScaleProvider } from '../sim-scale-provider.ts';
import { Refusal, type MoveReason, type Strategy, type StrategyContext } from '../strategy.ts';
import { engineAdjacency } from '../world-map.ts';

const REASONS: Partial<Record<number, MoveReason>> = {
  [Reason.Crashed]: 'failover',
  [Reason.Drained]: 'drain',
  [Reason.Removed]: 'drain',
  [Reason.Admitted]: 'admitted',
};

export class ZonelbStrategy implements Strategy {
  readonly name: string;
  /** Both replaced when the balancer restarts (a scenario's balancer-restart). */
  private engine: LocalEngine;
  private scale: ScaleController;
  /** The orchestrator's side: outlives a restart of the balancer. */
  readonly provider: SimScaleProvider;
  private readonly ctx: StrategyContext;
  private readonly mode: ScaleOptions['mode'] | undefined;
  /** Engine server handle → simulator server index. */
  private readonly indexOf = new Map<number, number>();
  /** The virtual clock the engine reads, in milliseconds. */
  private readonly clock = { ms: 0 };
  // One request at a time through the batch path: preallocated, nothing allocated per request.
  private readonly req = { ops: new Uint8Array(1), players: new Uint32Array(1), zones: new Uint32Array(1) };
  private readonly sink: ResultSink = { status: new Uint8Array(1), server: new Int32Array(1), position: new Uint32Array(1), done: () => undefined };
  /** The player of the request being answered, and the seat the end of its batch gave it (see decide). */
  private deciding = -1;
  private selfAdmitted = NO_SERVER;

  /** `mode` overrides the scenario's autoscaler mode (zonelb-reactive, zonelb-predictive). */
  constructor(ctx: StrategyContext, name: string, mode?: ScaleOptions['mode']) {
    this.name = name;
    this.ctx = ctx;
    this.mode = mode;
    this.provider = new SimScaleProvider(ctx.fleet, simScaleOptions(ctx.scenario, mode).serverWeight);
    [this.engine, this.scale] = this.boot();
  }

  /** A fresh engine and scaling loop beside it, as `zonelb serve` starts them. */
  private boot(): [LocalEngine, ScaleController] {
    const ctx = this.ctx;
    const s = ctx.scenario;
    let burst = 0;
    for (const e of s.events) if (e.type === 'flash-crowd') burst += e.players;
    // Records for everyone placed, queued or holding a reconnect seat at once, with room to spare.
    const records = 4 * s.world.players * Math.max(1, ...(s.world.dailyProfile ?? [1 + s.world.dailyAmplitude])) + 2 * burst;
    const engine = new LocalEngine(
      {
        shards: 1,
        maxZones: ctx.map.zones,
        maxServers: 4096,
        maxPlayers: Math.max(1 << 16, 2 ** Math.ceil(Math.log2(records))),
        limits: { cpu: s.engine.cpuLimit, memory: s.engine.memoryLimit, playersPerServer: s.fleet.playersPerServer },
        reconnectMs: s.engine.reconnectMs,
        suspectAfterMs: s.engine.suspectAfterMs,
        deadAfterMs: s.engine.deadAfterMs,
        whenFull: s.engine.whenFull,
        mergeBelow: s.engine.mergeBelow,
        boundedLoadEpsilon: s.engine.boundedLoadEpsilon,
        ...(s.engine.adjacency ? { adjacency: engineAdjacency(ctx.map) } : {}),
      },
      { clock: () => this.clock.ms, autoTick: false },
    );
    const scale = new ScaleController({
      engine,
      engineOptions: engine.options,
      options: simScaleOptions(s, this.mode),
      provider: this.provider,
      onError: (e) => {
        // The provider and the engine run in process here: a failure is a bug, not weather.
        throw e;
      },
    });
    engine.onReplacement((events) => this.replaced(events));
    engine.onEvent((e) => ctx.event(e));
    return [engine, scale];
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
    // Already gone when the failure detector found it dead first.
    if (this.engine.hasServer(s.id)) await this.engine.removeServer(s.id);
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

  /** A dropped connection is a Leave (its seat is held for the reconnect); a logout is a Quit. */
  leave(player: number, now: number, dropped: boolean): void {
    this.decide(dropped ? Op.Leave : Op.Quit, player, 0, now);
  }

  /**
   * A new engine, knowing nothing: every server still running registers again with its load,
   * as a game server does when its connection to zonelb comes back, so the players it holds
   * (unknown to the new engine) are left room for. A draining server is drained again; one the
   * old autoscaler was draining is left to the scenario's end (the new one does not know it).
   */
  async restart(now: number): Promise<void> {
    this.at(now);
    await this.scale.close(this.clock.ms);
    await this.engine.close();
    this.indexOf.clear();
    [this.engine, this.scale] = this.boot();
    for (const s of this.ctx.servers) {
      if (s.phase !== 'up' && s.phase !== 'draining') continue;
      const info = this.engine.registerServer({ id: s.id, weight: s.weight, load: { cpu: s.cpu, memory: s.memory, players: s.players } });
      this.indexOf.set(info.handle, s.index);
      if (s.phase === 'draining') await this.engine.drainServer(s.id, { move: true });
    }
  }

  async tick(now: number): Promise<void> {
    this.at(now);
    await this.engine.tick(this.clock.ms);
    await this.scale.step(this.clock.ms);
  }

  async close(now: number): Promise<void> {
    this.at(now);
    await this.scale.close(this.clock.ms);
    await this.engine.close();
  }

  scaleCounts(): { started: number; released: number } {
    return { started: this.provider.started, released: this.provider.released };
  }

  admissionSeats(out: AdmissionSeats): void {
    this.engine.admissionSeats(out);
  }

  private decide(op: number, player: number, zone: number, now: number): number {
    this.at(now);
    this.req.ops[0] = op;
    this.req.players[0] = player;
    this.req.zones[0] = zone;
    // LocalEngine answers synchronously: the sink holds the answer when submit returns.
    this.deciding = player;
    this.selfAdmitted = NO_SERVER;
    this.engine.submit(this.req, 0, 1, this.sink);
    this.deciding = -1;
    let status = this.sink.status[0]!;
    // Queued behind the line, then seated with it at the end of its own batch: the simulator
    // has not recorded the answer yet, so it hears of one seat, not of a queue and an admission.
    if (status === Status.Queued && this.selfAdmitted !== NO_SERVER) {
      status = Status.Ok;
      this.sink.server[0] = this.selfAdmitted;
    }
    // A leave or quit is done, or was for a player the engine no longer holds (it was lost, or
    // the balancer restarted since it was placed): nothing to place.
    if (op === Op.Quit || op === Op.Leave) return Refusal.Full;
    // A walker the engine does not hold (placed before a restart): the gateway joins it instead.
    if (op === Op.Move && status === Status.NotFound) return this.decide(Op.Join, player, zone, now);
    switch (status) {
      case Status.Ok:
      case Status.Reconnected: {
        const index = this.indexOf.get(this.sink.server[0]!);
        if (index === undefined) throw new Error(`zonelb placed player ${player} on a server handle the simulator never registered`);
        return index;
      }
      case Status.Queued:
        return Refusal.Queued;
      case Status.NoServers:
        return Refusal.NoServers;
      case Status.Full:
        return Refusal.Full;
      default:
        // NotFound, Invalid, Overloaded: the simulator asked something it should not have.
        throw new Error(`zonelb answered ${statusName[status]} to op ${op} of player ${player} in zone ${zone}`);
    }
  }

  private replaced(events: ReplacementEvent[]): void {
    for (const e of events) {
      if (e.player === this.deciding && e.reason === Reason.Admitted) {
        this.selfAdmitted = e.newServer;
        continue;
      }
      if (e.reason === Reason.Lost) this.ctx.moved(e.player, -1, 'lost');
      const reason = REASONS[e.reason];
      if (reason === undefined) continue;
      if (e.newServer === NO_SERVER) {
        this.ctx.moved(e.player, Refusal.Queued, reason);
        continue;
      }
      const index = this.indexOf.get(e.newServer);
      if (index === undefined) throw new Error(`zonelb moved player ${e.player} to a server handle the simulator never registered`);
      this.ctx.moved(e.player, index, reason);
    }
  }
}
