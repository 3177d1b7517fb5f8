/**
 * Which servers a scale-in drains: the cheapest to empty. The cost of emptying a server is
 * the players it holds (each one is moved or waited for), and what it frees is its weight, so
 * servers are taken by fewest players per unit of weight, and only while the capacity taken
 * stays within what the scale-in asked for: a scale-in never takes more than it was asked to.
 */
import type { ServerInfo } from '../engine/types.ts';
import { hostedPlayers } from './hosted-players.ts';

export function pickScaleIn(servers: readonly ServerInfo[], units: number): ServerInfo[] {
  if (!(units > 0)) return [];
  const candidates = servers.filter((s) => s.state === 'active');
  candidates.sort((a, b) => hostedPlayers(a) / a.weight - hostedPlayers(b) / b.weight || b.weight - a.weight || (a.id < b.id ? -1 : 1));
  const out: ServerInfo[] = [];
  let taken = 0;
  for (const s of candidates) {
    if (out.length === candidates.length - 1) break; // never the last active server
    if (taken + s.weight > units + 1e-9) continue;
    out.push(s);
    taken += s.weight;
    if (taken >= units - 1e-9) break;
  }
  return out;
}
