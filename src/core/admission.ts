/**
 * Admission limits: how many players a server may hold before crossing a limit, learned from
 * its heartbeats. Runs at heartbeat time only; a join then costs one comparison.
 *
 * Each server's CPU and memory are fitted as a line against its player count (cost-fit.ts),
 * its per-player cost drawing on what the fleet has taught (fleet-prior.ts) until its own
 * readings know better. The limit is the largest player count whose usage, bounded from above
 * with `confidence` standard deviations of doubt, stays strictly below each threshold:
 *
 *   usage(now) ≤ level + z·sd(level)                      the smoothed usage at the reported count
 *   cost of one more player ≤ min(slope + z·sd(slope),    the fitted cost, with its doubt
 *                                 usage(now) / players)   (idle usage is never negative)
 *   limit = players + how many such players fit below the threshold, capped at ⌊weight × cap⌋.
 *
 * A server with no reading takes the fleet's prior; with neither readings with players on it nor
 * a prior (a true cold start) it may fill `coldStart` of its cap until it reports players.
 */
import { CostFits, Estimate, Resource } from './cost-fit.ts';
import { FleetPrior, emptyPrior, type Prior } from './fleet-prior.ts';
import type { EngineOptions } from './options.ts';
import { studentZ } from './t-quantile.ts';

export type Limits = EngineOptions['limits'];
export type AdmissionSettings = EngineOptions['admission'];

/** A server votes for the fleet's cost once its own doubt is within this share of the cost. */
const CONFIDENT = 0.1;
/** A server's noise teaches the fleet once its fit has this many degrees of freedom. */
const NOISE_DOF = 4;
/** resourceLimit's answer when nothing is known of the cost per player. */
const COLD = -1;

export class CostModel {
  private readonly fits: CostFits;
  private readonly fleet: readonly [FleetPrior, FleetPrior];
  private readonly limits: Limits;
  private readonly a: AdmissionSettings;
  private readonly thresholds: readonly [number, number];
  /** Per unit of weight, the cost per player at which each resource would bind exactly at the player cap. */
  private readonly bindingCost: readonly [number, number];
  private readonly prior: Prior = emptyPrior();
  private readonly est = new Estimate();

  constructor(capacity: number, limits: Limits, admission: AdmissionSettings) {
    this.fits = new CostFits(capacity, admission.halfLife, admission.slopeHalfLife);
    this.fleet = [new FleetPrior(capacity), new FleetPrior(capacity)];
    this.limits = limits;
    this.a = admission;
    this.thresholds = [limits.cpu, limits.memory];
    this.bindingCost = [limits.cpu / limits.playersPerServer, limits.memory / limits.playersPerServer];
  }

  /** A new server in this slot: the old one's readings are forgotten, what it taught the fleet is not. */
  reset(slot: number): void {
    this.fits.reset(slot);
    this.fleet[Resource.cpu].depart(slot);
    this.fleet[Resource.memory].depart(slot);
  }

  observe(slot: number, weight: number, players: number, cpu: number, memory: number): void {
    this.fits.add(slot, players, cpu, memory);
    this.teach(slot, Resource.cpu, weight, players);
    this.teach(slot, Resource.memory, weight, players);
  }

  /**
   * Most players the server may hold: the largest count whose usage bound stays strictly below
   * every threshold, and never above its weighted player cap. `players` is its latest report.
   */
  limit(slot: number, weight: number, players: number): number {
    const cap = Math.floor(weight * this.limits.playersPerServer);
    const cpu = this.resourceLimit(slot, Resource.cpu, weight, players);
    const memory = this.resourceLimit(slot, Resource.memory, weight, players);
    let max = cap;
    if (cpu !== COLD) max = Math.min(max, cpu);
    if (memory !== COLD) max = Math.min(max, memory);
    if (cpu === COLD || memory === COLD) max = Math.min(max, Math.ceil(this.a.coldStart * cap));
    return Math.max(0, max);
  }

  /** Estimated cost of one player (fraction of the machine), or 0 when nothing is known yet. */
  perPlayer(slot: number, resource: Resource, weight: number, players: number): number {
    const e = this.estimate(slot, resource, weight, players);
    if (e.slopeVar !== Infinity) return Math.max(0, e.slope);
    return players > 0 && e.known ? e.level / players : 0;
  }

  private estimate(slot: number, resource: Resource, weight: number, players: number): Estimate {
    const a = this.a;
    this.fleet[resource].priorFor(slot, weight, a.priorSpread, this.bindingCost[resource], a.readingNoise * a.readingNoise, this.prior);
    this.fits.estimate(slot, resource, players, this.prior, this.est);
    return this.est;
  }

  private resourceLimit(slot: number, resource: Resource, weight: number, players: number): number {
    const e = this.estimate(slot, resource, weight, players);
    if (!e.known) return COLD;
    // The noise is estimated; from few readings its estimate is poor, and the doubt widens.
    const z = this.fits.weight(slot) > 0 ? studentZ(this.a.confidence, e.noiseDof) : this.a.confidence;
    const threshold = this.thresholds[resource];
    const usage = e.level + z * Math.sqrt(e.levelVar);
    const slopeSd = Math.sqrt(e.slopeVar);
    if (usage < threshold) {
      let up = e.slopeVar === Infinity ? Infinity : Math.max(0, e.slope + z * slopeSd);
      // Idle usage is never negative, so no player costs more than usage / players.
      if (players > 0 && usage / players < up) up = usage / players;
      if (up === Infinity) return COLD; // readings at 0 players only, and no prior
      return headroom(players, usage, threshold, up);
    }
    // Over the threshold already: how many players fewer it would take, at the cheapest the
    // cost per player may be; if that may be nothing, no number of players is known to be safe.
    const low = e.slopeVar === Infinity ? 0 : e.slope - z * slopeSd;
    return low > 0 ? Math.max(0, headroom(players, usage, threshold, low)) : 0;
  }

  /** This server's vote in the fleet's prior, once its own readings pin its cost down. */
  private teach(slot: number, resource: Resource, weight: number, players: number): void {
    const e = this.estimate(slot, resource, weight, players);
    const fleet = this.fleet[resource];
    if (e.dataDof >= NOISE_DOF) fleet.learnNoise(slot, e.dataNoiseVar);
    if (e.dataSlopeVar === Infinity) return;
    // Pinned down: within CONFIDENT of its own size, or of the cost that would make this
    // resource bind exactly at the player cap (a resource players barely use is never "sized").
    const cost = Math.max(0, e.dataSlope) * weight;
    const costVar = e.dataSlopeVar * weight * weight;
    if (costVar <= (CONFIDENT * Math.max(cost, this.bindingCost[resource])) ** 2) fleet.learn(slot, cost, costVar, e.dataBase, e.dataBaseVar);
  }
}

/** Largest m with usage + perPlayer × (m − players) < threshold (perPlayer > 0), or no bound. */
function headroom(players: number, usage: number, threshold: number, perPlayer: number): number {
  if (perPlayer <= 0) return Number.MAX_SAFE_INTEGER;
  return players + Math.ceil((threshold - usage) / perPlayer - 1e-9) - 1;
}
