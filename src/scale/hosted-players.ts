import type { ServerInfo } from '../engine/types.ts';

/**
 * Players a server hosts, as scaling must count them: the seats zonelb holds on it, or the
 * players the server reports if it reports more. The difference is players zonelb never seated
 * (it restarted while they played, or they reached the server some other way): they need the
 * capacity all the same, and removing their server would drop them. A report that still counts
 * players who have just left (or been moved off) holds a removal back until the next heartbeat.
 */
export function hostedPlayers(s: ServerInfo): number {
  return Math.max(s.players, s.reportedPlayers);
}
