/**
 * What the baseline strategies share: the list of servers taking joins, and re-placing the
 * players of a server that drains, is removed or is found dead, one fresh decision each.
 * Baselines know only what a user's balancer would: the servers it was told about and the
 * players it placed (no CPU or memory readings).
 */
import type { SimServer } from '../fleet.ts';
import { Refusal, type Strategy, type StrategyContext } from '../strategy.ts';

export abstract class Baseline implements Strategy {
  abstract readonly name: string;
  protected readonly ctx: StrategyContext;
  /** Servers taking joins, in index order. */
  protected readonly open: SimServer[] = [];

  constructor(ctx: StrategyContext) {
    this.ctx = ctx;
  }

  /** A server for a player entering `zone`, or a Refusal; `open` is not empty. */
  protected abstract choose(player: number, zone: number): number;

  /** Membership changed (override to rebuild a ring). */
  protected membershipChanged(): void {}

  addServer(s: SimServer): void {
    this.open.push(s);
    this.open.sort((a, b) => a.index - b.index);
    this.membershipChanged();
  }

  drainServer(s: SimServer): Promise<void> {
    this.closeServer(s);
    this.replaceAll(s, 'drain');
    return Promise.resolve();
  }

  removeServer(s: SimServer): Promise<void> {
    this.closeServer(s);
    this.replaceAll(s, 'drain');
    return Promise.resolve();
  }

  serverDead(s: SimServer): void {
    this.closeServer(s);
    this.replaceAll(s, 'failover');
  }

  heartbeat(): void {}

  join(player: number, zone: number): number {
    if (this.open.length === 0) return Refusal.NoServers;
    return this.choose(player, zone);
  }

  /** Zone-blind balancers keep a walking player where it is (its server runs any zone). */
  move(player: number, _zone: number, _now: number): number {
    return this.ctx.placements.state(player);
  }

  leave(_player: number, _now: number): void {}

  tick(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private closeServer(s: SimServer): void {
    const i = this.open.indexOf(s);
    if (i >= 0) {
      this.open.splice(i, 1);
      this.membershipChanged();
    }
  }

  /** One fresh decision for each player of `s`; a player with nowhere to go is lost (it joins again later). */
  private replaceAll(s: SimServer, reason: 'drain' | 'failover'): void {
    const placements = this.ctx.placements;
    for (const p of placements.playersOn(s.index)) {
      const target = this.open.length === 0 ? Refusal.NoServers : this.choose(p, placements.zoneOf[p]!);
      if (target >= 0) this.ctx.moved(p, target, reason);
      else this.ctx.moved(p, -1, 'lost');
    }
  }
}

/** Players per unit of weight: the load measure of count-based balancers. */
export function loadOf(s: SimServer): number {
  return s.players / s.weight;
}
