/**
 * What the fleet has taught about one resource (CPU or memory), for servers that have not yet
 * taught it themselves: a new server, or the first servers back after an outage.
 *
 * Every server whose own readings pin its cost down casts one vote, replaced as it learns
 * more: its cost per player per unit of weight (a server of weight w is taken to cost 1/w as
 * much per player), its idle usage, and the noise of its readings. The prior is the mean of the
 * votes and their spread (how servers differ, plus how unsure a vote is). A server never hears
 * its own vote back (its prior is the others'), so a fleet of one learns nothing from itself.
 *
 * It belongs to the engine, not to any server: when a slot is taken by a new server, the old
 * server's votes move to a memory of departed servers (fading as more depart), which still
 * counts, so an outage followed by a restart of the same kind of servers is not a cold start.
 */

/** A prior for one server: what it is expected to cost before its own readings say. */
export interface Prior {
  known: boolean;
  /** Cost of one player (fraction of the machine) and its variance. */
  slope: number;
  slopeVar: number;
  /** Usage with no player on it, and its variance. */
  base: number;
  baseVar: number;
  /** Variance of one reading, and how many readings' worth of evidence that is. */
  noiseVar: number;
  noiseDof: number;
}

export function emptyPrior(): Prior {
  return { known: false, slope: 0, slopeVar: Infinity, base: 0, baseVar: Infinity, noiseVar: 0, noiseDof: 0 };
}

/** A departed server's votes fade by this share per later departure: about the last 64 count. */
const KEEP_DEPARTED = 1 - 1 / 64;
/**
 * Readings' worth of evidence a prior noise carries against a server's own: an assumed one
 * (the readingNoise option) is soon overruled; the fleet's, measured on other servers, later.
 */
const ASSUMED_NOISE_DOF = 2;
const FLEET_NOISE_DOF = 8;

/** Mean, spread and doubt of the votes, leaving one slot's out. */
interface Tally {
  count: number;
  mean: number;
  /** Variance of the votes around their mean. */
  spread: number;
  /** Mean variance of a vote (how unsure each is). */
  doubt: number;
}

/** One quantity's votes: each slot's latest (value, variance), the live sums, and the departed ones. */
class Votes {
  private readonly has: Uint8Array;
  private readonly x: Float64Array;
  private readonly v: Float64Array;
  private n = 0;
  private sx = 0;
  private sxx = 0;
  private sv = 0;
  private dn = 0;
  private dsx = 0;
  private dsxx = 0;
  private dsv = 0;

  constructor(capacity: number) {
    this.has = new Uint8Array(capacity);
    this.x = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }

  cast(slot: number, x: number, variance: number): void {
    this.withdraw(slot);
    this.has[slot] = 1;
    this.x[slot] = x;
    this.v[slot] = variance;
    this.n += 1;
    this.sx += x;
    this.sxx += x * x;
    this.sv += variance;
  }

  /** The slot's server is replaced: its vote joins the departed ones. */
  depart(slot: number): void {
    if (this.has[slot] === 0) return;
    const x = this.x[slot]!;
    const v = this.v[slot]!;
    this.withdraw(slot);
    this.dn = KEEP_DEPARTED * this.dn + 1;
    this.dsx = KEEP_DEPARTED * this.dsx + x;
    this.dsxx = KEEP_DEPARTED * this.dsxx + x * x;
    this.dsv = KEEP_DEPARTED * this.dsv + v;
  }

  /** Every vote but `slot`'s; false if there is none. */
  tally(slot: number, out: Tally): boolean {
    let n = this.n + this.dn;
    let sx = this.sx + this.dsx;
    let sxx = this.sxx + this.dsxx;
    let sv = this.sv + this.dsv;
    if (this.has[slot] === 1) {
      const x = this.x[slot]!;
      n -= 1;
      sx -= x;
      sxx -= x * x;
      sv -= this.v[slot]!;
    }
    // Below a hundredth of a vote is what is left of subtracting the last one.
    if (n < 0.01) return false;
    out.count = n;
    out.mean = sx / n;
    out.spread = Math.max(0, sxx / n - out.mean * out.mean);
    out.doubt = Math.max(0, sv / n);
    return true;
  }

  private withdraw(slot: number): void {
    if (this.has[slot] === 0) return;
    const x = this.x[slot]!;
    this.has[slot] = 0;
    this.n -= 1;
    this.sx -= x;
    this.sxx -= x * x;
    this.sv -= this.v[slot]!;
  }
}

export class FleetPrior {
  private readonly cost: Votes;
  private readonly base: Votes;
  private readonly noise: Votes;
  private readonly t: Tally = { count: 0, mean: 0, spread: 0, doubt: 0 };

  constructor(capacity: number) {
    this.cost = new Votes(capacity);
    this.base = new Votes(capacity);
    this.noise = new Votes(capacity);
  }

  /** The server in `slot` knows its cost per player × weight, and its idle usage, this well. */
  learn(slot: number, costPerWeight: number, costVar: number, base: number, baseVar: number): void {
    this.cost.cast(slot, costPerWeight, costVar);
    this.base.cast(slot, base, baseVar);
  }

  /** The server in `slot` measured this variance of one reading. */
  learnNoise(slot: number, variance: number): void {
    this.noise.cast(slot, variance, 0);
  }

  /** A new server takes `slot`: the old one's votes are remembered among the departed. */
  depart(slot: number): void {
    this.cost.depart(slot);
    this.base.depart(slot);
    this.noise.depart(slot);
  }

  /**
   * The prior for the server in `slot` (of `weight`), from every other server's votes: their
   * mean, with the spread across servers and the doubt of a vote, widened by `spread`
   * (relative), since a new server may not be like those that taught it. The cost's widening
   * is relative to the fleet's cost or to `costScale` (per unit of weight), whichever is larger,
   * so that a fleet whose players cost next to nothing does not vouch for a new server to the
   * last decimal. `noiseVar` stands for the noise until some other server has measured it.
   */
  priorFor(slot: number, weight: number, spread: number, costScale: number, noiseVar: number, out: Prior): void {
    const t = this.t;
    const measured = this.noise.tally(slot, t);
    // Running sums lose a few ulps at each vote replaced: a fleet of noise-free servers can
    // tally a variance of -1e-35, and the square root of that would poison every limit.
    out.noiseVar = measured ? Math.max(0, t.mean) : noiseVar;
    out.noiseDof = measured ? FLEET_NOISE_DOF : ASSUMED_NOISE_DOF;
    out.known = this.cost.tally(slot, t);
    if (!out.known) {
      out.slope = 0;
      out.slopeVar = Infinity;
      out.base = 0;
      out.baseVar = Infinity;
      return;
    }
    // Costs and idle usage are never negative (same rounding as above).
    out.slope = Math.max(0, t.mean) / weight;
    out.slopeVar = (t.spread + t.doubt + (spread * Math.max(t.mean, costScale)) ** 2) / (weight * weight);
    this.base.tally(slot, t);
    out.base = Math.max(0, t.mean);
    out.baseVar = t.spread + t.doubt + (spread * t.mean) ** 2;
  }
}
