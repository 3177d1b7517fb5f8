/**
 * The players of the simulated world, independent of any strategy: they arrive (Poisson, with a
 * daily curve), walk from zone to neighbouring zone (drawn to popular zones), and leave after a
 * log-normal session; some lose their connection once on the way and come back a few seconds
 * later. Every strategy is fed the same intents, in the same order, from the same seed; what a
 * strategy does with them (a refused join, a crash) never feeds back into them.
 */
import { Rng } from './rng.ts';
import type { Scenario } from './scenario-schema.ts';
import type { WorldMap } from './world-map.ts';

/** What the world wants, one player at a time. */
export interface TrafficSink {
  arrive(player: number, zone: number): void;
  move(player: number, from: number, to: number): void;
  /** The player logs out for good. */
  leave(player: number): void;
  /** The player's connection dropped: it comes back (`back`) to the same zone. */
  drop(player: number): void;
  back(player: number, zone: number): void;
}

const NONE = -1;

export class Traffic {
  readonly map: WorldMap;
  /** Players currently in each zone (whether or not a strategy placed them). */
  readonly zonePopulation: Int32Array;
  /** Base popularity of each zone (fixed by the seed). */
  readonly popularity: Float64Array;
  private readonly w: Scenario['world'];
  private readonly arrivals: Rng;
  private readonly walks: Rng;
  private readonly drops: Rng;
  /** Multipliers set by events. */
  private readonly attractionFactor: Float64Array;
  private readonly dwellFactor: Float64Array;
  /** Cumulative attraction, for drawing an arrival's zone; rebuilt when attraction changes. */
  private readonly cumulative: Float64Array;
  private cumulativeDirty = true;
  /** A share of the arrivals goes straight to one zone (a capital) and stays there, or NONE. */
  private spawnZone = NONE;
  private spawnShare = 0;
  private readonly profile: readonly number[] | undefined;
  private readonly meanSession: number;
  private readonly warmupCount: number;
  // Per player (index = player id), grown by doubling.
  private zone = new Int32Array(1024);
  private leaveAt = new Float64Array(1024);
  private nextMoveAt = new Float64Array(1024);
  /** When the player's connection drops (Infinity: never), and while it is away, when it comes back. */
  private dropAt = new Float64Array(1024);
  private backAt = new Float64Array(1024);
  private away = new Uint8Array(1024);
  private awayCount = 0;
  /** Live players, unordered; `slotOf` finds a player's place for swap-removal. */
  private live = new Int32Array(1024);
  private slotOf = new Int32Array(1024);
  private liveCount = 0;
  private nextId = 0;
  private readonly bursts: { zone: number; left: number; until: number; perSecond: number; endAt: number; carry: number }[] = [];

  constructor(scenario: Scenario, map: WorldMap) {
    this.w = scenario.world;
    this.map = map;
    this.arrivals = new Rng(scenario.seed, 'arrivals');
    this.walks = new Rng(scenario.seed, 'walks');
    this.drops = new Rng(scenario.seed, 'drops');
    this.zonePopulation = new Int32Array(map.zones);
    this.popularity = zipfPopularity(map.zones, this.w.popularitySkew, new Rng(scenario.seed, 'popularity'));
    this.attractionFactor = new Float64Array(map.zones).fill(1);
    this.dwellFactor = new Float64Array(map.zones).fill(1);
    this.cumulative = new Float64Array(map.zones);
    this.meanSession = this.w.sessionMedianS * Math.exp((this.w.sessionSigma * this.w.sessionSigma) / 2);
    this.profile = this.w.dailyProfile;
    this.warmupCount = Math.round(this.w.players * this.curve(0));
  }

  /** Players in the world now (not counting those whose connection dropped, until they are back). */
  get population(): number {
    return this.liveCount - this.awayCount;
  }

  /** Players that ever arrived (ids are 0 .. this − 1). */
  get arrived(): number {
    return this.nextId;
  }

  zoneOf(player: number): number {
    return this.zone[player]!;
  }

  /** The most popular zone by base popularity. */
  busiestZone(): number {
    let best = 0;
    for (let z = 1; z < this.popularity.length; z++) if (this.popularity[z]! > this.popularity[best]!) best = z;
    return best;
  }

  setAttraction(zone: number, factor: number): void {
    this.attractionFactor[zone] = factor;
    this.cumulativeDirty = true;
  }

  attraction(zone: number): number {
    return this.attractionFactor[zone]!;
  }

  setDwell(zone: number, factor: number): void {
    this.dwellFactor[zone] = factor;
  }

  /** Send `share` of all arrivals straight to `zone`, to stay there for their session (0 stops it). */
  setSpawn(zone: number, share: number): void {
    this.spawnZone = share > 0 ? zone : NONE;
    this.spawnShare = share;
  }

  /** A crowd of extra players arriving into one zone over `rampS`, all leaving at `endAt`. */
  addBurst(zone: number, players: number, now: number, rampS: number, endAt: number): void {
    this.bursts.push({ zone, left: players, until: now + rampS, perSecond: players / rampS, endAt, carry: 0 });
  }

  /** Daily curve factor at `t` seconds into the run: the profile if the world has one, else the cosine. */
  curve(t: number): number {
    const w = this.w;
    const p = this.profile;
    if (p) {
      const day = (((w.startS + t) % w.dayS) + w.dayS) % w.dayS;
      const x = (day / w.dayS) * p.length;
      const i = Math.floor(x);
      const f = x - i;
      return p[i % p.length]! * (1 - f) + p[(i + 1) % p.length]! * f;
    }
    return 1 + w.dailyAmplitude * Math.cos((2 * Math.PI * (w.startS + t - w.peakS)) / w.dayS);
  }

  /** Everything the world does in (now − dt, now], reported to `sink` in a fixed order. */
  step(now: number, dt: number, sink: TrafficSink): void {
    // Leaves and walks of the players already here.
    for (let i = 0; i < this.liveCount; i++) {
      const p = this.live[i]!;
      if (this.away[p] === 1) {
        if (this.backAt[p]! > now) continue;
        this.away[p] = 0;
        this.awayCount--;
        this.zonePopulation[this.zone[p]!]!++;
        sink.back(p, this.zone[p]!);
        continue;
      }
      if (this.dropAt[p]! <= now && this.leaveAt[p]! > now) {
        // Its session and its walk resume where they stopped, later by the time it was away.
        const gone = this.drops.exponential(this.w.reconnectMeanS);
        this.dropAt[p] = Infinity;
        this.away[p] = 1;
        this.awayCount++;
        this.backAt[p] = now + gone;
        this.leaveAt[p]! += gone;
        this.nextMoveAt[p]! += gone;
        this.zonePopulation[this.zone[p]!]!--;
        sink.drop(p);
        continue;
      }
      if (this.leaveAt[p]! <= now) {
        this.remove(p);
        sink.leave(p);
        i--; // the last live player was swapped into slot i
        continue;
      }
      if (this.nextMoveAt[p]! <= now) {
        const from = this.zone[p]!;
        const to = this.pickNeighbour(from);
        if (to !== from) {
          this.zonePopulation[from]!--;
          this.zonePopulation[to]!++;
          this.zone[p] = to;
          sink.move(p, from, to);
        }
        this.nextMoveAt[p] = now + this.walks.exponential(this.w.dwellMeanS * this.dwellFactor[to]!);
      }
    }
    // Arrivals: the steady Poisson stream, the warm-up cohort, the bursts of events.
    const steady = this.arrivals.poisson((this.w.players / this.meanSession) * this.curve(now) * dt);
    let count = steady;
    if (this.w.warmupS > 0 && now - dt < this.w.warmupS) {
      const from = Math.max(0, now - dt);
      const to = Math.min(now, this.w.warmupS);
      count += Math.round((this.warmupCount * to) / this.w.warmupS) - Math.round((this.warmupCount * from) / this.w.warmupS);
    } else if (this.w.warmupS === 0 && now - dt <= 0) {
      count += this.warmupCount;
    }
    const warm = Math.max(0, count - steady);
    for (let k = 0; k < count; k++) {
      const pinned = this.spawnZone !== NONE && this.arrivals.next() < this.spawnShare;
      const zone = pinned ? this.spawnZone : this.pickZone();
      // The starting population was already playing: what is left of a session caught in
      // progress (a length-biased session, log-normal with median × e^σ², times a uniform
      // share), so the population holds level instead of overshooting as fresh sessions would.
      const session =
        k < warm
          ? this.arrivals.next() * this.arrivals.logNormal(this.w.sessionMedianS * Math.exp(this.w.sessionSigma ** 2), this.w.sessionSigma)
          : this.arrivals.logNormal(this.w.sessionMedianS, this.w.sessionSigma);
      const firstMove = pinned ? Infinity : now + this.walks.exponential(this.w.dwellMeanS * this.dwellFactor[zone]!);
      sink.arrive(this.add(zone, now + session, firstMove, now), zone);
    }
    for (const b of this.bursts) {
      if (b.left <= 0) continue;
      b.carry += b.perSecond * dt;
      let n = Math.min(b.left, Math.floor(b.carry));
      if (now >= b.until) n = b.left;
      b.carry -= n;
      b.left -= n;
      for (let k = 0; k < n; k++) {
        // They came for the boss: they stay in its zone until it is over, then drift off.
        const leave = b.endAt + this.arrivals.exponential(60);
        sink.arrive(this.add(b.zone, leave, b.endAt + this.walks.exponential(20), now), b.zone);
      }
    }
  }

  private add(zone: number, leaveAt: number, nextMoveAt: number, now: number): number {
    const p = this.nextId++;
    if (p >= this.zone.length) this.grow();
    this.zone[p] = zone;
    this.leaveAt[p] = leaveAt;
    this.nextMoveAt[p] = nextMoveAt;
    this.dropAt[p] = this.drops.next() < this.w.dropShare ? now + this.drops.next() * (leaveAt - now) : Infinity;
    this.away[p] = 0;
    this.live[this.liveCount] = p;
    this.slotOf[p] = this.liveCount++;
    this.zonePopulation[zone]!++;
    return p;
  }

  private remove(p: number): void {
    const i = this.slotOf[p]!;
    const last = this.live[--this.liveCount]!;
    this.live[i] = last;
    this.slotOf[last] = i;
    this.zonePopulation[this.zone[p]!]!--;
    this.zone[p] = NONE;
  }

  private grow(): void {
    const n = this.zone.length * 2;
    this.zone = copyGrow(this.zone, new Int32Array(n));
    this.leaveAt = copyGrow(this.leaveAt, new Float64Array(n));
    this.nextMoveAt = copyGrow(this.nextMoveAt, new Float64Array(n));
    this.dropAt = copyGrow(this.dropAt, new Float64Array(n));
    this.backAt = copyGrow(this.backAt, new Float64Array(n));
    this.away = copyGrow(this.away, new Uint8Array(n));
    this.live = copyGrow(this.live, new Int32Array(n));
    this.slotOf = copyGrow(this.slotOf, new Int32Array(n));
  }

  private pickZone(): number {
    const c = this.cumulative;
    if (this.cumulativeDirty) {
      let sum = 0;
      for (let z = 0; z < c.length; z++) c[z] = sum += this.popularity[z]! * this.attractionFactor[z]!;
      this.cumulativeDirty = false;
    }
    const x = this.arrivals.next() * c[c.length - 1]!;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private pickNeighbour(from: number): number {
    const m = this.map;
    const s = m.start[from]!;
    const e = m.start[from + 1]!;
    if (s === e) return from;
    let total = 0;
    for (let i = s; i < e; i++) total += this.attractionOf(m.neighbours[i]!);
    let x = this.walks.next() * total;
    for (let i = s; i < e; i++) {
      x -= this.attractionOf(m.neighbours[i]!);
      if (x < 0) return m.neighbours[i]!;
    }
    return m.neighbours[e - 1]!;
  }

  private attractionOf(zone: number): number {
    return this.popularity[zone]! * this.attractionFactor[zone]!;
  }
}

function copyGrow<T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Popularity 1 / rank^skew, ranks shuffled over the zones by the seed. */
function zipfPopularity(zones: number, skew: number, rng: Rng): Float64Array {
  const rank = Array.from({ length: zones }, (_, i) => i + 1);
  for (let i = zones - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const out = new Float64Array(zones);
  for (let z = 0; z < zones; z++) out[z] = 1 / Math.pow(rank[z]!, skew);
  return out;
}
