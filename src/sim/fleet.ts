/**
 * The simulated fleet: game servers with a weight, a boot delay, and true CPU and memory that
 * grow with their players (plus noise), the ground truth the simulator measures against.
 *
 * Scaling plugs in here. Whatever decides the fleet's size (a scripted scenario event, or
 * zonelb's autoscaler through the simulator's scale provider) talks to `FleetControl` only:
 *
 *   fleet.start(count, weight)  asks for servers; each boots for `bootDelayS` (costing
 *                               server-hours) and only then is announced to the strategy;
 *   fleet.drain(id)             a graceful leave: no new joins, players re-placed, removed
 *                               once empty (or after `drainTimeoutS`, its stragglers re-placed);
 *   fleet.drainedBy(id)         the autoscaler drains a server through the engine itself: the
 *                               fleet only notes it, and leaves its removal to the autoscaler;
 *   fleet.release(id)           ... which hands the empty server back: it stops;
 *   fleet.view()                what exists now and in which phase, with true load;
 *   fleet.now()                 the virtual clock, in seconds.
 *
 * Crashes are not part of that interface: they happen to a fleet (scenario events), nobody
 * asks for them. Phase changes reach the runner through `FleetListener`, which tells the
 * strategy under test in the same order for every strategy.
 */
import { Rng } from './rng.ts';
import type { Scenario } from './scenario-schema.ts';

export type ServerPhase = 'booting' | 'up' | 'draining' | 'crashed' | 'gone';

export interface SimServer {
  /** Dense index, stable for the run (never reused). */
  readonly index: number;
  readonly id: string;
  readonly weight: number;
  phase: ServerPhase;
  /** Simulated seconds: asked for, able to take players, crashed or gone (NaN until then). */
  readonly startedAt: number;
  /** When its boot finishes. */
  readonly readyAt: number;
  upAt: number;
  endedAt: number;
  /** Players connected to it now (true count, kept by the runner). */
  players: number;
  /** True usage, fractions of the machine (what the limits are judged on). */
  trueCpu: number;
  trueMemory: number;
  /** The last readings it reported: true usage plus noise. */
  cpu: number;
  memory: number;
  /** Draining under the autoscaler's control (it removes the server, not the fleet). */
  managed: boolean;
  /** This machine's per-player cost against the fleet's nominal one (servers differ). */
  readonly costFactor: number;
  /** Most players it can hold with every true, noise-free reading under its limit. */
  readonly capacity: number;
  readonly noise: Rng;
}

export interface FleetView {
  readonly index: number;
  readonly id: string;
  readonly weight: number;
  readonly phase: ServerPhase;
  readonly players: number;
  readonly trueCpu: number;
  readonly trueMemory: number;
  readonly capacity: number;
}

/** What an autoscaler (or a scenario script) may do to the fleet. */
export interface FleetControl {
  now(): number;
  view(): readonly FleetView[];
  start(count: number, weight?: number): string[];
  drain(id: string): void;
  drainedBy(id: string): void;
  release(id: string): void;
}

export interface FleetListener {
  /** Booted: may take players from now on. */
  up(server: SimServer): void;
  draining(server: SimServer): void;
  crashed(server: SimServer): void;
  /** Removed from the fleet (a drain finished). */
  gone(server: SimServer): void;
}

export interface FleetLimits {
  cpu: number;
  memory: number;
}

export class Fleet implements FleetControl {
  readonly servers: SimServer[] = [];
  private readonly f: Scenario['fleet'];
  private readonly limits: FleetLimits;
  private readonly seed: number;
  private readonly shapes: Rng;
  private readonly listener: FleetListener;
  private readonly drainTimeoutS: number;
  private readonly ids = new Map<string, SimServer>();
  private clock = 0;
  private nextName = 0;

  constructor(scenario: Scenario, listener: FleetListener) {
    this.f = scenario.fleet;
    this.limits = { cpu: scenario.engine.cpuLimit, memory: scenario.engine.memoryLimit };
    this.seed = scenario.seed;
    this.shapes = new Rng(scenario.seed, 'server-shapes');
    this.listener = listener;
    this.drainTimeoutS = scenario.fleet.drainTimeoutS;
  }

  now(): number {
    return this.clock;
  }

  view(): readonly FleetView[] {
    return this.servers;
  }

  /** The starting fleet: up at time 0, no boot delay (it was there before the run). */
  startInitial(): void {
    for (let i = 0; i < this.f.servers; i++) this.create(this.f.weights[i % this.f.weights.length]!, 0);
  }

  start(count: number, weight = 1): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(this.create(weight, this.f.bootDelayS).id);
    return ids;
  }

  drain(id: string): void {
    const s = this.byId(id);
    if (s.phase === 'booting') {
      // Never announced: just cancel it.
      this.end(s, 'gone');
      return;
    }
    if (s.phase !== 'up') return;
    s.phase = 'draining';
    s.endedAt = this.clock + this.drainTimeoutS; // deadline, replaced by the real end
    this.listener.draining(s);
  }

  drainedBy(id: string): void {
    const s = this.byId(id);
    if (s.phase !== 'up') return;
    s.phase = 'draining';
    s.managed = true;
  }

  release(id: string): void {
    const s = this.byId(id);
    if (s.phase === 'crashed' || s.phase === 'gone') return;
    this.end(s, 'gone');
  }

  crash(s: SimServer): void {
    if (s.phase === 'crashed' || s.phase === 'gone') return;
    const wasAnnounced = s.phase !== 'booting';
    this.end(s, 'crashed');
    if (wasAnnounced) this.listener.crashed(s);
  }

  /** Advance to `now`: boots finish, empty draining servers leave. Announces in index order. */
  advance(now: number): void {
    this.clock = now;
    for (const s of this.servers) {
      if (s.phase === 'booting' && s.readyAt <= now) {
        s.phase = 'up';
        s.upAt = now;
        this.listener.up(s);
      } else if (s.phase === 'draining' && !s.managed && (s.players === 0 || now >= s.endedAt)) {
        this.end(s, 'gone');
        this.listener.gone(s);
      }
    }
  }

  /** True usage of an announced server now, and the reading it reports (noise from its own stream). */
  measure(s: SimServer): void {
    const f = this.f;
    const load = (s.players * s.costFactor) / s.weight;
    s.trueCpu = f.cpuBase + f.cpuPerPlayer * load;
    s.trueMemory = f.memoryBase + f.memoryPerPlayer * load;
    s.cpu = clamp01(s.trueCpu + f.cpuNoise * s.noise.normal());
    s.memory = clamp01(s.trueMemory + f.memoryNoise * s.noise.normal());
  }

  /** Seats left on servers taking players, by their true capacity. */
  freeSeats(): number {
    let free = 0;
    for (const s of this.servers) if (s.phase === 'up' && s.players < s.capacity) free += s.capacity - s.players;
    return free;
  }

  /** The largest true capacity among servers taking players (0 if none). */
  largestCapacity(): number {
    let best = 0;
    for (const s of this.servers) if (s.phase === 'up' && s.capacity > best) best = s.capacity;
    return best;
  }

  get(id: string): SimServer | undefined {
    return this.ids.get(id);
  }

  byId(id: string): SimServer {
    const s = this.ids.get(id);
    if (!s) throw new Error(`no simulated server "${id}"`);
    return s;
  }

  private create(weight: number, bootDelayS: number): SimServer {
    const f = this.f;
    const index = this.servers.length;
    const id = `gs-${String(this.nextName++).padStart(3, '0')}`;
    const costFactor = 1 + f.costSpread * (2 * this.shapes.next() - 1);
    const perPlayerCpu = (f.cpuPerPlayer * costFactor) / weight;
    const perPlayerMem = (f.memoryPerPlayer * costFactor) / weight;
    const capacity = Math.max(
      0,
      Math.min(
        Math.floor(weight * f.playersPerServer),
        Math.ceil((this.limits.cpu - f.cpuBase) / perPlayerCpu) - 1,
        Math.ceil((this.limits.memory - f.memoryBase) / perPlayerMem) - 1,
      ),
    );
    const s: SimServer = {
      index,
      id,
      weight,
      // Announced by the next advance(), so listeners hear of it in order with everything else.
      phase: 'booting',
      startedAt: this.clock,
      readyAt: this.clock + bootDelayS,
      upAt: Number.NaN,
      endedAt: Number.NaN,
      players: 0,
      trueCpu: f.cpuBase,
      trueMemory: f.memoryBase,
      cpu: f.cpuBase,
      memory: f.memoryBase,
      managed: false,
      costFactor,
      capacity,
      noise: new Rng(this.seed, `noise:${id}`),
    };
    this.servers.push(s);
    this.ids.set(id, s);
    return s;
  }

  private end(s: SimServer, phase: 'crashed' | 'gone'): void {
    s.phase = phase;
    s.endedAt = this.clock;
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
