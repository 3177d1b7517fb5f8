import {
  NO_SERVER,
  ServerState,
  handleSlot,
  serverHandle,
  serverStateName,
  handleGeneration,
} from '../core/codes.ts';
import { CostModel } from '../core/admission.ts';
import { Resource } from '../core/cost-fit.ts';
import { ErrorCode, ZonelbError, invalidArgument, unknownServer } from '../core/errors.ts';
import { FleetField, TotalField, type ServerTable } from '../core/layout.ts';
import { noteRoom } from '../core/seats.ts';
import { EMPTY_RING, buildRing, updateRing, type Ring, type RingMember } from '../core/ring.ts';
import type { EngineOptions } from '../core/options.ts';
import type { HeartbeatReport, LoadReport, ServerInfo, ServerSpec } from './types.ts';
import type { EventHub } from './engine-events.ts';

/**
 * The server registry and its failure detector, on the main thread. It is the only writer of
 * the server table's state, weight and limit; shards only take and release seats. Every
 * heartbeat becomes one integer (the admission limit) so that a join costs one comparison.
 */
export class ControlPlane {
  private readonly t: ServerTable;
  private readonly o: EngineOptions;
  private readonly events: EventHub;
  private readonly ids: (string | undefined)[];
  private readonly addresses: string[];
  private readonly bySlot = new Map<string, number>();
  private readonly lastHeartbeat: Float64Array;
  private readonly reportedPlayers: Int32Array;
  private readonly cost: CostModel;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private active = 0;
  /** Membership changed since the ring was last built. */
  private ringDirty = true;
  private ring: Ring = EMPTY_RING;
  /** Slot → (generation, weight) as the current ring has it. */
  private ringMembers = new Map<number, RingMember>();
  /**
   * Seats on a server held with nobody there (reconnect holds, hot-zone reserves), summed over
   * the shards' serverHeld; set by the engine once its shards exist.
   */
  heldSeats: (slot: number) => number = () => 0;

  constructor(table: ServerTable, options: EngineOptions, events: EventHub) {
    this.t = table;
    this.o = options;
    this.events = events;
    this.ids = new Array<string | undefined>(table.capacity);
    this.addresses = new Array<string>(table.capacity).fill('');
    this.lastHeartbeat = new Float64Array(table.capacity);
    this.reportedPlayers = new Int32Array(table.capacity);
    this.cost = new CostModel(table.capacity, options.limits, options.admission);
  }

  register(spec: ServerSpec, now: number): ServerInfo {
    if (spec === null || typeof spec !== 'object') throw invalidArgument('server', spec, 'an object with an id');
    const id = checkId(spec.id);
    const weight = spec.weight === undefined ? 1 : checkWeight(spec.weight);
    if (spec.address !== undefined && (typeof spec.address !== 'string' || spec.address.length > 256)) {
      throw invalidArgument('address', spec.address, 'a string of at most 256 characters');
    }
    // Checked before anything changes: a bad load registers nothing.
    const load = spec.load === undefined ? undefined : checkLoad(spec.load, 'load.');
    const info = this.registerSlot(id, weight, spec.address, now);
    // A server declared dead but not yet evacuated stays so (as without a load): it registers anew once gone.
    return load === undefined || info.state === 'dead' ? info : this.heartbeat(id, load, now);
  }

  private registerSlot(id: string, weight: number, address: string | undefined, now: number): ServerInfo {
    const existing = this.bySlot.get(id);
    if (existing !== undefined) {
      // A live server registering again (e.g. after a zonelb restart on its side) keeps its
      // incarnation: its players are still there.
      const t = this.t;
      const hadRoom = this.hasRoom(existing);
      t.weight[existing] = weight;
      if (address !== undefined) this.addresses[existing] = address;
      this.lastHeartbeat[existing] = now;
      if (Atomics.load(t.state, existing) === ServerState.Suspect) {
        this.setState(existing, ServerState.Active);
        this.events.emit({ type: 'server-recovered', at: now, serverId: id });
      }
      this.recomputeLimit(existing);
      this.noteRoomOpened(existing, hadRoom);
      this.ringDirty = true;
      return this.info(existing);
    }
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot < this.t.capacity ? this.nextSlot++ : -1;
    if (slot < 0) {
      throw new ZonelbError(
        ErrorCode.ServerTableFull,
        `cannot register "${id}": all ${this.t.capacity} server slots are in use (option maxServers)`,
      );
    }
    const t = this.t;
    this.ids[slot] = id;
    this.addresses[slot] = address ?? '';
    this.bySlot.set(id, slot);
    this.lastHeartbeat[slot] = now;
    this.reportedPlayers[slot] = 0;
    this.cost.reset(slot);
    t.weight[slot] = weight;
    t.cpu[slot] = 0;
    t.memory[slot] = 0;
    Atomics.store(t.count, slot, 0);
    // Before its first heartbeat: what the fleet has taught of servers like it, or a cold start.
    this.recomputeLimit(slot);
    this.setState(slot, ServerState.Active);
    this.ringDirty = true;
    this.events.emit({ type: 'server-registered', at: now, serverId: id, weight });
    return this.info(slot);
  }

  heartbeat(id: string, report: HeartbeatReport, now: number): ServerInfo {
    const slot = this.slotOf(id);
    const { cpu, memory, players } = checkLoad(report);
    const weight = report.weight === undefined ? undefined : checkWeight(report.weight);
    const t = this.t;
    const state = Atomics.load(t.state, slot);
    const hadRoom = this.hasRoom(slot);
    if (state === ServerState.Dead) {
      throw new ZonelbError(ErrorCode.ServerDead, `server "${id}" was declared dead; register it again`, {
        field: 'serverId',
      });
    }
    if (weight !== undefined && weight !== t.weight[slot]) {
      t.weight[slot] = weight;
      this.ringDirty = true;
    }
    t.cpu[slot] = cpu;
    t.memory[slot] = memory;
    this.reportedPlayers[slot] = players;
    this.lastHeartbeat[slot] = now;
    this.cost.observe(slot, t.weight[slot]!, players, cpu, memory);
    this.recomputeLimit(slot);
    if (state === ServerState.Suspect) {
      this.setState(slot, ServerState.Active);
      this.events.emit({ type: 'server-recovered', at: now, serverId: id });
    }
    this.noteRoomOpened(slot, hadRoom);
    return this.info(slot);
  }

  /**
   * The seats zonelb may hold on a server: the players its readings say it can hold, less the
   * players it reports that zonelb holds no seat for (zonelb restarted while the fleet was
   * full, or players seated some other way): they use the server all the same. They are the
   * players reported beyond zonelb's seats with a player in them: a seat held for a reconnect
   * or a hot zone has nobody there yet. A join still on its way makes the seats exceed the
   * report; nothing is taken off then.
   */
  private recomputeLimit(slot: number): void {
    const t = this.t;
    const reported = this.reportedPlayers[slot]!;
    const limit = this.cost.limit(slot, t.weight[slot]!, reported);
    const unseated = Math.max(0, reported - (Atomics.load(t.count, slot) - this.heldSeats(slot)));
    Atomics.store(t.limit, slot, Math.max(0, limit - unseated));
  }

  /** True when a join may take a seat on the server now: active, below its limit. */
  private hasRoom(slot: number): boolean {
    const t = this.t;
    return Atomics.load(t.state, slot) === ServerState.Active && Atomics.load(t.limit, slot) > Atomics.load(t.count, slot);
  }

  /**
   * A report or a registration opened room on a server that had none (a raised limit, a
   * recovery): tell the shards now, not at the next tick's room list (see ServerTable.gainedRoom).
   */
  private noteRoomOpened(slot: number, hadRoom: boolean): void {
    if (!hadRoom && this.hasRoom(slot)) noteRoom(this.t, slot);
  }

  /** Stop new joins on a server. Returns its slot. */
  drain(id: string, now: number): number {
    const slot = this.slotOf(id);
    const s = Atomics.load(this.t.state, slot);
    if (s === ServerState.Dead) throw unknownServer(id);
    if (s !== ServerState.Draining) {
      this.setState(slot, ServerState.Draining);
      this.events.emit({ type: 'server-draining', at: now, serverId: id });
    }
    return slot;
  }

  /** Mark a server dead (no seat can be taken on it any more); evacuate it next. */
  markDead(slot: number): void {
    this.setState(slot, ServerState.Dead);
    this.ringDirty = true;
  }

  /** Forget a server once its players are evacuated; its slot may be reused. */
  release(slot: number): void {
    const t = this.t;
    const id = this.ids[slot];
    if (id !== undefined) this.bySlot.delete(id);
    this.ids[slot] = undefined;
    this.setState(slot, ServerState.Free);
    // Generation first: a shard releasing a seat of the old incarnation after this point sees
    // the mismatch and leaves the count alone; only then is the count reset.
    Atomics.store(t.generation, slot, (Atomics.load(t.generation, slot) + 1) & 0x7fff);
    Atomics.store(t.limit, slot, 0);
    Atomics.store(t.count, slot, 0);
    this.freeSlots.push(slot);
    this.ringDirty = true;
  }

  /**
   * Failure detector: a server silent for suspectAfterMs takes no new joins; silent for
   * deadAfterMs it is declared dead. Returns the slots newly dead (to evacuate).
   */
  detectFailures(now: number): number[] {
    const dead: number[] = [];
    const t = this.t;
    for (let slot = 0; slot < this.nextSlot; slot++) {
      const s = Atomics.load(t.state, slot);
      if (s === ServerState.Free || s === ServerState.Dead) continue;
      const silent = now - this.lastHeartbeat[slot]!;
      if (silent > this.o.deadAfterMs) {
        this.markDead(slot);
        dead.push(slot);
      } else if (silent > this.o.suspectAfterMs && s === ServerState.Active) {
        this.setState(slot, ServerState.Suspect);
        this.events.emit({ type: 'server-suspect', at: now, serverId: this.ids[slot] ?? '' });
      }
    }
    return dead;
  }

  /** Slots ever used (every server's slot is below this). */
  get slots(): number {
    return this.nextSlot;
  }

  /** Refresh fleet totals and the list of servers with the most room (every tick). */
  refreshRoom(): void {
    const t = this.t;
    // Mark first: room a shard makes during the scan is then in the list, in gainedRoom, or both.
    Atomics.store(t.totals, TotalField.gainedRoomListed, Atomics.load(t.totals, TotalField.gainedRoom));
    const candidates: number[] = [];
    let totalCount = 0;
    let totalLimit = 0;
    for (let slot = 0; slot < this.nextSlot; slot++) {
      if (Atomics.load(t.state, slot) !== ServerState.Active) continue;
      const count = Atomics.load(t.count, slot);
      const limit = Atomics.load(t.limit, slot);
      totalCount += count;
      totalLimit += limit;
      if (limit > count) candidates.push(slot);
    }
    candidates.sort((a, b) => t.limit[b]! - t.count[b]! - (t.limit[a]! - t.count[a]!));
    const list = t.roomList;
    const n = Math.min(candidates.length, list.length - 1);
    for (let i = 0; i < n; i++) Atomics.store(list, i + 1, candidates[i]!);
    // Publish the length last: a shard reading n sees n valid slots.
    Atomics.store(list, 0, n);
    t.fleet[FleetField.totalCount] = totalCount;
    t.fleet[FleetField.totalLimit] = totalLimit;
  }

  /** The ring, updated if membership changed since the last call; undefined if unchanged. */
  takeRing(): Ring | undefined {
    if (!this.ringDirty) return undefined;
    this.ringDirty = false;
    const t = this.t;
    const want = new Map<number, RingMember>();
    for (let slot = 0; slot < this.nextSlot; slot++) {
      const s = Atomics.load(t.state, slot);
      if (s === ServerState.Free || s === ServerState.Dead) continue;
      want.set(slot, { slot, generation: t.generation[slot]!, weight: t.weight[slot]! });
    }
    const removed = new Set<number>();
    const added: RingMember[] = [];
    for (const [slot, m] of this.ringMembers) {
      const w = want.get(slot);
      if (!w || w.generation !== m.generation || w.weight !== m.weight) removed.add(slot);
    }
    for (const [slot, w] of want) {
      const m = this.ringMembers.get(slot);
      if (!m || m.generation !== w.generation || m.weight !== w.weight) added.push(w);
    }
    if (removed.size === 0 && added.length === 0) return undefined;
    // Small changes (a crash, a new server) merge into the ring; a new fleet is built whole.
    this.ring =
      added.length > want.size / 4
        ? buildRing([...want.values()], this.o.ringPointsPerWeight)
        : updateRing(this.ring, removed, added, this.o.ringPointsPerWeight);
    this.ringMembers = want;
    return this.ring;
  }

  slotOf(id: string): number {
    if (typeof id !== 'string' || id.length === 0) throw invalidArgument('serverId', id, 'a non-empty string');
    const slot = this.bySlot.get(id);
    if (slot === undefined) throw unknownServer(id);
    return slot;
  }

  has(id: string): boolean {
    return this.bySlot.has(id);
  }

  idOf(handle: number): string | undefined {
    if (handle === NO_SERVER || handle < 0) return undefined;
    const slot = handleSlot(handle);
    if (slot >= this.t.capacity || this.t.generation[slot] !== handleGeneration(handle)) return undefined;
    return this.ids[slot];
  }

  handleOf(slot: number): number {
    return serverHandle(slot, Atomics.load(this.t.generation, slot));
  }

  activeServers(): number {
    return this.active;
  }

  info(slot: number): ServerInfo {
    const t = this.t;
    const players = this.reportedPlayers[slot]!;
    return {
      id: this.ids[slot] ?? '',
      handle: this.handleOf(slot),
      state: serverStateName[Atomics.load(t.state, slot)] as ServerInfo['state'],
      weight: t.weight[slot]!,
      address: this.addresses[slot]!,
      players: Atomics.load(t.count, slot),
      heldSeats: this.heldSeats(slot),
      limit: Atomics.load(t.limit, slot),
      cap: Math.floor(t.weight[slot]! * this.o.limits.playersPerServer),
      cpu: t.cpu[slot]!,
      memory: t.memory[slot]!,
      reportedPlayers: players,
      cpuPerPlayer: this.cost.perPlayer(slot, Resource.cpu, t.weight[slot]!, players),
      memoryPerPlayer: this.cost.perPlayer(slot, Resource.memory, t.weight[slot]!, players),
      lastHeartbeat: this.lastHeartbeat[slot]!,
    };
  }

  list(): ServerInfo[] {
    const out: ServerInfo[] = [];
    for (let slot = 0; slot < this.nextSlot; slot++) if (this.ids[slot] !== undefined) out.push(this.info(slot));
    return out;
  }

  private setState(slot: number, state: ServerState): void {
    const t = this.t;
    const before = Atomics.load(t.state, slot);
    if (before === state) return;
    Atomics.store(t.state, slot, state);
    if (before === ServerState.Active) this.active--;
    if (state === ServerState.Active) this.active++;
    t.fleet[FleetField.activeServers] = this.active;
  }
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
    throw invalidArgument('id', id, 'a non-empty string of at most 128 characters');
  }
  return id;
}

function checkWeight(w: unknown): number {
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0 || w > 1000) {
    throw invalidArgument('weight', w, 'a finite number > 0 and ≤ 1000');
  }
  return w;
}

/** `prefix` names where the load sits in the request ("load." in a registration). */
function checkLoad(report: LoadReport, prefix = ''): LoadReport {
  if (report === null || typeof report !== 'object') throw invalidArgument(prefix ? prefix.slice(0, -1) : 'report', report, 'an object');
  const cpu = checkFraction(`${prefix}cpu`, report.cpu);
  const memory = checkFraction(`${prefix}memory`, report.memory);
  const players = report.players;
  if (!Number.isInteger(players) || players < 0 || players > 1e8) {
    throw invalidArgument(`${prefix}players`, players, 'an integer ≥ 0');
  }
  return { cpu, memory, players };
}

function checkFraction(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw invalidArgument(field, v, 'a fraction between 0 and 1');
  }
  return v;
}
