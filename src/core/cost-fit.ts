/**
 * Each server's fit of usage against players, for CPU and memory: `usage = level + perPlayer ×
 * (players − meanPlayers)`, from its heartbeats, older readings fading geometrically.
 *
 * Two memories. Usage at a given player count moves with things other than players (what the
 * players do, the time of day), so the level is taken from recent readings (a short half-life).
 * The cost of one player is a property of the machine and the game, and is learned from as much
 * history as possible (a long half-life): only a wide spread of player counts pins it down, and
 * a full server's count barely moves for minutes.
 *
 * Each memory keeps exponentially weighted moments (weight, mean players, mean usage, and the
 * centred sums of squares and products, updated in West's numerically stable form), so an
 * estimate costs a few flops at heartbeat time and nothing is kept per reading. The estimate
 * is Bayesian in the per-player cost: the server's own readings are combined with a prior (the
 * fleet's, see fleet-prior.ts) in proportion to how much each knows, so the fit is trusted
 * exactly as far as the spread of its player counts and the number of its readings, against
 * the noise they show, carry it. The noise is measured, not assumed: the weighted mean of the
 * squared residuals around the recent readings' own line, with a few pseudo-readings of the
 * prior's noise (so that one or two readings, which a line fits exactly, do not claim to be
 * noise-free), and the degrees of freedom behind it are reported so that doubt can widen when
 * they are few.
 */
import type { Prior } from './fleet-prior.ts';

export const Resource = { cpu: 0, memory: 1 } as const;
export type Resource = (typeof Resource)[keyof typeof Resource];

// One memory's moments: shared by both resources, then (mean, Σ dn·dy, Σ dy²) per resource.
const W = 0;
const MN = 1;
const CNN = 2;
const PER = 3;
const MY = 0;
const CNY = 1;
const CYY = 2;
const MEMORY = PER + 2 * 3;
/** Per slot: the recent memory, then the long one. */
const RECENT = 0;
const LONG = MEMORY;
const STRIDE = 2 * MEMORY;
/** A spread of player counts below this (players², weighted) is rounding, not evidence of a slope. */
const NO_SPREAD = 1e-6;

/** What a fit knows of one resource of one server, at its latest player count. */
export class Estimate {
  /** Some reading, or the fleet's prior, tells where the usage is. */
  known = false;
  /** Usage now (at the reported player count) and the variance of that estimate. */
  level = 0;
  levelVar = 0;
  /** Cost of one more player and its variance (Infinity: nothing is known of it). */
  slope = 0;
  slopeVar = Infinity;
  /** Variance of one reading around the fit, and the degrees of freedom it was measured with. */
  noiseVar = 0;
  noiseDof = 0;
  /** The server's own readings alone, for the fleet to learn from: slope, idle usage, their variances, and the noise. */
  dataSlope = 0;
  dataSlopeVar = Infinity;
  dataBase = 0;
  dataBaseVar = Infinity;
  dataNoiseVar = 0;
  dataDof = 0;
}

export class CostFits {
  private readonly f: Float64Array;
  private readonly recentDecay: number;
  private readonly longDecay: number;

  /** Half-lives in heartbeats: of the level (recent) and of the cost per player (long). */
  constructor(capacity: number, levelHalfLife: number, slopeHalfLife: number) {
    this.f = new Float64Array(capacity * STRIDE);
    this.recentDecay = 2 ** (-1 / levelHalfLife);
    this.longDecay = 2 ** (-1 / slopeHalfLife);
  }

  reset(slot: number): void {
    this.f.fill(0, slot * STRIDE, (slot + 1) * STRIDE);
  }

  /** Recent readings of this server, each counted by its remaining weight (0: none yet). */
  weight(slot: number): number {
    return this.f[slot * STRIDE + RECENT + W]!;
  }

  /** One heartbeat: in each memory every older reading fades, then this one counts 1. */
  add(slot: number, players: number, cpu: number, memory: number): void {
    addReading(this.f, slot * STRIDE + RECENT, this.recentDecay, players, cpu, memory);
    addReading(this.f, slot * STRIDE + LONG, this.longDecay, players, cpu, memory);
  }

  /**
   * What is known of `resource` at `players`: the server's readings combined with `prior`
   * (whose noise stands in for the measured one until readings measure it).
   */
  estimate(slot: number, resource: Resource, players: number, prior: Prior, out: Estimate): void {
    const f = this.f;
    const b = slot * STRIDE;
    const rb = b + RECENT;
    const lb = b + LONG;
    const r = rb + PER + resource * 3;
    const l = lb + PER + resource * 3;
    const w = f[rb + W]!;

    // Noise: residuals around the recent readings' own line.
    const recentCnn = f[rb + CNN]!;
    const recentSpread = recentCnn > NO_SPREAD;
    const recentCny = f[r + CNY]!;
    const rss = Math.max(0, f[r + CYY]! - (recentSpread ? (recentCny * recentCny) / recentCnn : 0));
    out.dataDof = Math.max(0, w - (recentSpread ? 2 : 1));
    out.dataNoiseVar = out.dataDof > 0 ? rss / out.dataDof : 0;
    const noiseVar = Math.max(0, w > 0 ? (prior.noiseDof * prior.noiseVar + rss) / (prior.noiseDof + out.dataDof) : prior.noiseVar);
    out.noiseVar = noiseVar;
    out.noiseDof = prior.noiseDof + out.dataDof;

    // Cost per player and idle usage: the long memory.
    const cnn = f[lb + CNN]!;
    const spread = cnn > NO_SPREAD;
    const cny = spread ? f[l + CNY]! : 0;
    const longMean = f[lb + MN]!;
    out.dataSlope = spread ? cny / cnn : 0;
    out.dataSlopeVar = spread ? noiseVar / cnn : Infinity;
    out.dataBase = f[l + MY]! - out.dataSlope * longMean;
    out.dataBaseVar = spread ? noiseVar * (1 / f[lb + W]! + (longMean * longMean) / cnn) : Infinity;

    if (w === 0) {
      // No reading yet: only the prior speaks.
      out.known = prior.known;
      out.slope = prior.known ? prior.slope : 0;
      out.slopeVar = prior.known ? prior.slopeVar : Infinity;
      out.level = prior.known ? prior.base + prior.slope * players : 0;
      out.levelVar = prior.known ? prior.baseVar + players * players * prior.slopeVar : Infinity;
      return;
    }
    // The per-player cost: precision-weighted mean of the readings' slope and the prior's.
    // In the readings' units, the prior is worth noiseVar / priorVar players² of spread.
    out.known = true;
    if (prior.known && prior.slopeVar === 0) {
      out.slope = prior.slope;
      out.slopeVar = 0;
    } else {
      const priorSpread = prior.known && noiseVar > 0 ? noiseVar / prior.slopeVar : 0;
      const info = (spread ? cnn : 0) + priorSpread;
      if (info > 0) {
        out.slope = (cny + prior.slope * priorSpread) / info;
        out.slopeVar = noiseVar / info;
      } else if (prior.known) {
        // Noise-free readings, all at one player count: the prior alone knows the slope.
        out.slope = prior.slope;
        out.slopeVar = prior.slopeVar;
      } else {
        out.slope = 0;
        out.slopeVar = Infinity;
      }
    }
    // The level: recent readings, moved along the slope to the player count asked about. With
    // no slope known every reading was at one player count, which `players` is.
    const d = out.slopeVar === Infinity ? 0 : players - f[rb + MN]!;
    out.level = f[r + MY]! + out.slope * d;
    out.levelVar = noiseVar / w + (d === 0 ? 0 : d * d * out.slopeVar);
  }
}

/** One reading into one memory's moments (`m`: the memory's first index). */
function addReading(f: Float64Array, m: number, decay: number, players: number, cpu: number, memory: number): void {
  const w = decay * f[m + W]! + 1;
  const dn = players - f[m + MN]!;
  f[m + W] = w;
  f[m + MN] = f[m + MN]! + dn / w;
  f[m + CNN] = decay * f[m + CNN]! + dn * (players - f[m + MN]!);
  addUsage(f, m + PER, cpu, dn, w, decay);
  addUsage(f, m + PER + 3, memory, dn, w, decay);
}

function addUsage(f: Float64Array, r: number, y: number, dn: number, w: number, decay: number): void {
  const dy = y - f[r + MY]!;
  const my = f[r + MY]! + dy / w;
  f[r + MY] = my;
  f[r + CNY] = decay * f[r + CNY]! + dn * (y - my);
  f[r + CYY] = decay * f[r + CYY]! + dy * (y - my);
}
