/**
 * Seats one weight unit of the fleet offers, as the autoscaler counts them.
 *
 * Not the servers' admission limits as they stand. A limit is how many players a server may
 * take now, learned from its own heartbeats; on a lightly loaded server it charges the idle
 * base use to the few players there (the engine errs on the safe side until the player count
 * has varied enough to fit a cost per player), so a server holding 20 players may show a limit
 * of 60, and an empty one shows its player cap. Summed, they make a half-empty fleet look full,
 * and the autoscaler asks for servers that then fill only halfway, and show low limits too.
 *
 * The servers run the same game: across the fleet, CPU and memory against players per weight
 * unit fall on one line (idle base plus cost per player). Fitted over the servers taking
 * players (least squares, each server weighted by its weight), the line says where a weight
 * unit crosses the CPU or the memory threshold: the seats it offers, at most the player cap.
 * When the loads are too alike to fit a line (fewer than three servers, or a spread under
 * MIN_SPREAD of the cap), the mean admission limit of the servers that hold players stands in,
 * and the player cap when none holds any.
 *
 * The autoscaler uses FleetCapacity, which fits the same line over the fleet's readings through
 * time (older ones fading with a half-life of hours) rather than over one instant: what a server
 * holds is a property of the machine and the game, while a small fleet's instant picture moves
 * with its make-up (a night fleet of four lightly loaded servers, one of them drained, shifted
 * the instant estimate by a tenth, and the autoscaler flapped 4 → 3 → 4 → 3).
 */
import type { Limits } from '../core/admission.ts';
import type { ServerInfo } from '../engine/types.ts';

/** Spread of the players per weight unit (a standard deviation, as a share of the cap) a fit needs. */
const MIN_SPREAD = 0.05;
const MIN_SERVERS = 3;

export function fleetSeatsPerUnit(servers: readonly ServerInfo[], limits: Limits): number {
  const cap = limits.playersPerServer;
  let n = 0;
  let w = 0;
  let sx = 0;
  let sc = 0;
  let sm = 0;
  let limitSum = 0;
  let limitWeight = 0;
  for (const s of servers) {
    if (s.state !== 'active' && s.state !== 'suspect') continue;
    n++;
    w += s.weight;
    sx += s.reportedPlayers;
    sc += s.weight * s.cpu;
    sm += s.weight * s.memory;
    if (s.players > 0) {
      limitSum += Math.min(s.limit, s.cap);
      limitWeight += s.weight;
    }
  }
  const fallback = limitWeight > 0 ? limitSum / limitWeight : cap;
  if (n < MIN_SERVERS) return fallback;
  // Weighted means and (co)variances of x = players per unit, against CPU and memory.
  const mx = sx / w;
  const mc = sc / w;
  const mm = sm / w;
  let vx = 0;
  let cc = 0;
  let cm = 0;
  for (const s of servers) {
    if (s.state !== 'active' && s.state !== 'suspect') continue;
    const dx = s.reportedPlayers / s.weight - mx;
    vx += s.weight * dx * dx;
    cc += s.weight * dx * (s.cpu - mc);
    cm += s.weight * dx * (s.memory - mm);
  }
  vx /= w;
  if (Math.sqrt(vx) < MIN_SPREAD * cap) return fallback;
  const seats = Math.min(cap, crossing(limits.cpu, mc, cc / w, vx, mx), crossing(limits.memory, mm, cm / w, vx, mx));
  return seats > 0 ? seats : fallback;
}

/** Players per unit at which the fitted line (through the means, slope cov / var) reaches `threshold`. */
function crossing(threshold: number, meanUse: number, cov: number, vx: number, mx: number): number {
  const slope = cov / vx;
  // Flat or falling: this resource never binds (noise, or a resource players do not use).
  if (!(slope > 0)) return Infinity;
  return mx + (threshold - meanUse) / slope;
}

/** Readings of this age count half (the line barely changes: hardware and game, not the hour). */
export const CAPACITY_HALF_LIFE_MS = 2 * 3_600_000;

/**
 * The fleet's seats per weight unit, fitted over its readings through time: each call folds in
 * the servers taking players (weighted by weight) and fades what came before by the half-life.
 */
export class FleetCapacity {
  /** Decayed moments: total weight, means of x (players per unit), CPU and memory, and the centred sums. */
  private w = 0;
  private mx = 0;
  private mc = 0;
  private mm = 0;
  private sxx = 0;
  private sxc = 0;
  private sxm = 0;
  private at = Number.NaN;

  constructor(
    private readonly limits: Limits,
    private readonly halfLifeMs = CAPACITY_HALF_LIFE_MS,
  ) {}

  seatsPerUnit(servers: readonly ServerInfo[], now: number): number {
    const decay = Number.isNaN(this.at) ? 1 : 2 ** (-Math.max(0, now - this.at) / this.halfLifeMs);
    this.at = now;
    this.w *= decay;
    this.sxx *= decay;
    this.sxc *= decay;
    this.sxm *= decay;
    for (const s of servers) {
      if (s.state !== 'active' && s.state !== 'suspect') continue;
      // West's weighted update: means move by the new point's share, sums by the product of
      // its distance to the old and to the new mean (numerically stable over long runs).
      const x = s.reportedPlayers / s.weight;
      this.w += s.weight;
      const share = s.weight / this.w;
      const dx = x - this.mx;
      const dc = s.cpu - this.mc;
      const dm = s.memory - this.mm;
      this.mx += dx * share;
      this.mc += dc * share;
      this.mm += dm * share;
      this.sxx += s.weight * dx * (x - this.mx);
      this.sxc += s.weight * dx * (s.cpu - this.mc);
      this.sxm += s.weight * dx * (s.memory - this.mm);
    }
    const fallback = fleetSeatsPerUnit(servers, this.limits);
    if (!(this.w > 0)) return fallback;
    const vx = this.sxx / this.w;
    if (Math.sqrt(vx) < MIN_SPREAD * this.limits.playersPerServer) return fallback;
    const seats = Math.min(
      this.limits.playersPerServer,
      crossing(this.limits.cpu, this.mc, this.sxc / this.w, vx, this.mx),
      crossing(this.limits.memory, this.mm, this.sxm / this.w, vx, this.mx),
    );
    return seats > 0 ? seats : fallback;
  }
}
