import { Baseline } from './baseline.ts';
import { Refusal } from '../strategy.ts';

/**
 * As Agones allocates with the Packed strategy and player capacity: a game server already
 * running the zone with a free player slot, else the fullest server that still has one
 * (bin-packing, to leave whole machines free). Knows player counts against the weighted
 * player cap, not CPU or memory.
 */
export class Packed extends Baseline {
  readonly name = 'packed';

  protected choose(player: number, zone: number): number {
    const ppS = this.ctx.scenario.fleet.playersPerServer;
    const placements = this.ctx.placements;
    const current = placements.state(player);
    let best = -1;
    let bestPlayers = -1;
    let bestHosts = false;
    for (const s of this.open) {
      // A walking player's own seat counts as free on its own server.
      const players = s.players - (s.index === current ? 1 : 0);
      if (players >= Math.floor(s.weight * ppS)) continue;
      const hosts = placements.onServerInZone(s.index, zone) > 0;
      if ((hosts && !bestHosts) || (hosts === bestHosts && players > bestPlayers)) {
        best = s.index;
        bestPlayers = players;
        bestHosts = hosts;
      }
    }
    return best >= 0 ? best : Refusal.Full;
  }

  /** A walking player with nowhere to go stays where it is. */
  override move(player: number, zone: number): number {
    const s = this.choose(player, zone);
    return s >= 0 ? s : this.ctx.placements.state(player);
  }
}
