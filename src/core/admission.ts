/**
 * Admission limits: how many players a server may hold before crossing a limit, learned
 * from its heartbeats. Runs at heartbeat time only; a join then costs one comparison.
 *
 * Each server's CPU and memory are modelled as `base + perPlayer × players`. The per-player
 * cost is the slope of an exponentially weighted least-squares fit over its heartbeats;
 * until the player count has varied enough to fit a slope, the cost is taken as
 * usage / players (which charges the idle base to players, so it errs on the safe side).
 * The limit is then extrapolated from the latest report, not from the fitted base: the
 * latest report is the best evidence of where the server is now.
 */
export interface Limits {
  cpu: number;
  memory: number;
  playersPerServer: number;
}

const ALPHA = 0.3;
/** Variance of the player count (players²) needed before the fitted slope is trusted. */
const MIN_VARIANCE = 4;

export class CostModel {
  private readonly samples: Float64Array;
  private readonly n: Float64Array;
  private readonly nn: Float64Array;
  private readonly c: Float64Array;
  private readonly nc: Float64Array;
  private readonly m: Float64Array;
  private readonly nm: Float64Array;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
    this.n = new Float64Array(capacity);
    this.nn = new Float64Array(capacity);
    this.c = new Float64Array(capacity);
    this.nc = new Float64Array(capacity);
    this.m = new Float64Array(capacity);
    this.nm = new Float64Array(capacity);
  }

  reset(slot: number): void {
    this.samples[slot] = 0;
    this.n[slot] = this.nn[slot] = this.c[slot] = this.nc[slot] = this.m[slot] = this.nm[slot] = 0;
  }

  observe(slot: number, players: number, cpu: number, memory: number): void {
    const a = this.samples[slot] === 0 ? 1 : ALPHA;
    this.samples[slot]! += 1;
    this.n[slot] = ewma(this.n[slot]!, players, a);
    this.nn[slot] = ewma(this.nn[slot]!, players * players, a);
    this.c[slot] = ewma(this.c[slot]!, cpu, a);
    this.nc[slot] = ewma(this.nc[slot]!, players * cpu, a);
    this.m[slot] = ewma(this.m[slot]!, memory, a);
    this.nm[slot] = ewma(this.nm[slot]!, players * memory, a);
  }

  /** Estimated CPU fraction per player, or 0 when nothing is known yet. */
  cpuPerPlayer(slot: number, players: number, cpu: number): number {
    return this.slope(slot, this.c[slot]!, this.nc[slot]!, players, cpu);
  }

  memoryPerPlayer(slot: number, players: number, memory: number): number {
    return this.slope(slot, this.m[slot]!, this.nm[slot]!, players, memory);
  }

  private slope(slot: number, y: number, ny: number, players: number, usage: number): number {
    const n = this.n[slot]!;
    const variance = this.nn[slot]! - n * n;
    const ratio = players > 0 ? usage / players : 0;
    if (variance >= MIN_VARIANCE) {
      const fitted = (ny - n * y) / variance;
      // A fit on noisy data can come out tiny or negative; never trust it below a fifth of
      // the plain ratio (that would admit five times too many players).
      if (fitted > 0) return Math.max(fitted, ratio / 5);
    }
    return ratio;
  }

  /**
   * Most players the server may hold: the largest count whose predicted usage stays strictly
   * below every threshold, and never above its weighted player cap.
   */
  limit(slot: number, weight: number, players: number, cpu: number, memory: number, limits: Limits): number {
    let max = Math.floor(weight * limits.playersPerServer);
    max = Math.min(max, headroom(players, cpu, limits.cpu, this.cpuPerPlayer(slot, players, cpu)));
    max = Math.min(max, headroom(players, memory, limits.memory, this.memoryPerPlayer(slot, players, memory)));
    return Math.max(0, max);
  }
}

function ewma(prev: number, x: number, a: number): number {
  return prev + a * (x - prev);
}

/** Largest m with usage + perPlayer × (m − players) < threshold. */
function headroom(players: number, usage: number, threshold: number, perPlayer: number): number {
  if (perPlayer <= 0) return usage >= threshold ? players : Number.MAX_SAFE_INTEGER;
  return players + Math.ceil((threshold - usage) / perPlayer - 1e-9) - 1;
}
