/**
 * Where every player is, as the simulator knows it: the ground truth that metrics are taken
 * from (the strategy's own beliefs never count). Also what a baseline strategy knows, since
 * every placement it makes goes through here: players per server and per (server, zone).
 */
import type { SimServer } from './fleet.ts';

/** Player states other than "on server s" (s ≥ 0). */
export const PlayerState = {
  /** Not in the world (never arrived, or left). */
  Absent: -1,
  /** Waiting in the strategy's queue for a seat. */
  Queued: -2,
  /** Refused; will try again after the scenario's retryS. */
  Waiting: -3,
} as const;

export class Placements {
  readonly zones: number;
  /** Player → server index, or a PlayerState. */
  serverOf = new Int32Array(1024).fill(PlayerState.Absent);
  /** Player → zone it is counted in while placed. */
  zoneOf = new Int32Array(1024);
  /** Per server, players per zone. */
  private readonly perZone: Int32Array[] = [];
  /** Per zone: servers (live or crashed) holding at least one of its players; placed players. */
  readonly spread: Int32Array;
  readonly population: Int32Array;
  private readonly servers: readonly SimServer[];
  /** Players of each server, for re-placing them (order of arrival on it). */
  private readonly members: Set<number>[] = [];
  /** Σ spread: (server, zone) pairs holding at least one player. */
  hosting = 0;
  /** Σ over zones of ⌈population / needCapacity⌉, kept as populations change. */
  private needCapacity = 0;
  private needed = 0;

  constructor(zones: number, servers: readonly SimServer[]) {
    this.zones = zones;
    this.servers = servers;
    this.spread = new Int32Array(zones);
    this.population = new Int32Array(zones);
  }

  ensurePlayer(p: number): void {
    if (p < this.serverOf.length) return;
    let n = this.serverOf.length;
    while (n <= p) n *= 2;
    const s = new Int32Array(n).fill(PlayerState.Absent);
    s.set(this.serverOf);
    this.serverOf = s;
    const z = new Int32Array(n);
    z.set(this.zoneOf);
    this.zoneOf = z;
  }

  private ensureServer(s: number): void {
    while (this.perZone.length <= s) {
      this.perZone.push(new Int32Array(this.zones));
      this.members.push(new Set());
    }
  }

  state(p: number): number {
    return p < this.serverOf.length ? this.serverOf[p]! : PlayerState.Absent;
  }

  /** Players of zone `zone` on server `s`. */
  onServerInZone(s: number, zone: number): number {
    return s < this.perZone.length ? this.perZone[s]![zone]! : 0;
  }

  playersOn(s: number): number[] {
    return s < this.members.length ? [...this.members[s]!] : [];
  }

  place(p: number, zone: number, s: number): void {
    this.ensurePlayer(p);
    this.ensureServer(s);
    if (this.serverOf[p]! >= 0) this.unplace(p, PlayerState.Absent);
    this.serverOf[p] = s;
    this.zoneOf[p] = zone;
    const pz = this.perZone[s]!;
    if (pz[zone]!++ === 0) {
      this.spread[zone]!++;
      this.hosting++;
    }
    this.populationChanged(zone, 1);
    this.members[s]!.add(p);
    this.servers[s]!.players++;
  }

  /** Takes the player off its server (if on one) and leaves it in `next` state. */
  unplace(p: number, next: number): void {
    const s = this.serverOf[p]!;
    if (s >= 0) {
      const zone = this.zoneOf[p]!;
      const pz = this.perZone[s]!;
      if (--pz[zone]! === 0) {
        this.spread[zone]!--;
        this.hosting--;
      }
      this.populationChanged(zone, -1);
      this.members[s]!.delete(p);
      this.servers[s]!.players--;
    }
    this.serverOf[p] = next;
  }

  /**
   * Servers the placed population needs at least: Σ over zones of ⌈population / capacity⌉
   * (recomputed over every zone only when `capacity` changes, kept up incrementally otherwise).
   */
  neededServers(capacity: number): number {
    if (capacity !== this.needCapacity) {
      this.needCapacity = capacity;
      let n = 0;
      if (capacity > 0) for (let z = 0; z < this.zones; z++) n += Math.ceil(this.population[z]! / capacity);
      this.needed = n;
    }
    return this.needed;
  }

  private populationChanged(zone: number, d: number): void {
    const before = this.population[zone]!;
    this.population[zone] = before + d;
    const c = this.needCapacity;
    if (c > 0) this.needed += Math.ceil((before + d) / c) - Math.ceil(before / c);
  }

  /** Same or another server, new zone. */
  moveTo(p: number, zone: number, s: number): void {
    this.unplace(p, PlayerState.Absent);
    this.place(p, zone, s);
  }
}
