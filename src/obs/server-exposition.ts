import type { ServerInfo } from '../engine/types.ts';
import type { FleetSnapshot } from './fleet-snapshot.ts';

export const SERVER_STATES = ['active', 'draining', 'suspect', 'dead'] as const;

interface Family {
  name: string;
  help: string;
  read: (i: ServerInfo, now: number) => number;
}

const FAMILIES: readonly Family[] = [
  { name: 'zonelb_server_players', help: 'Seats taken on each server: placed players and reconnect reservations', read: (i) => i.players },
  {
    name: 'zonelb_server_held_seats',
    help: 'Of each server\'s seats, those held with nobody on it: for players whose connection dropped, and for hot zones',
    read: (i) => i.heldSeats,
  },
  {
    name: 'zonelb_server_reported_players',
    help: 'Players each server reported in its latest heartbeat (above zonelb_server_players: players zonelb did not seat, as after a restart of zonelb)',
    read: (i) => i.reportedPlayers,
  },
  {
    name: 'zonelb_server_admission_limit',
    help: 'Most seats zonelb may take on each server now: learned from its heartbeats, less the players it reports beyond those seats (0 while it is over a threshold)',
    read: (i) => i.limit,
  },
  { name: 'zonelb_server_player_cap', help: 'Player cap of each server: its weight times the cap per weight unit', read: (i) => i.cap },
  { name: 'zonelb_server_weight', help: 'Relative capacity of each server', read: (i) => i.weight },
  { name: 'zonelb_server_cpu_ratio', help: 'CPU use each server reported in its latest heartbeat (0 to 1)', read: (i) => i.cpu },
  { name: 'zonelb_server_memory_ratio', help: 'Memory use each server reported in its latest heartbeat (0 to 1)', read: (i) => i.memory },
  { name: 'zonelb_server_heartbeat_age_seconds', help: 'Time since each server last heartbeated', read: (i, now) => Math.max(0, Math.round(now - i.lastHeartbeat)) / 1000 },
];

const STATE_HELP = 'State of each server: a series valued 1 for its current state (active, draining, suspect or dead)';

/** Lines written between two yields to the event loop. */
const LINES_PER_SLICE = 4096;

/** A sample value as the text format writes it. */
function value(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A label value escaped as the text format requires (backslash, double quote, newline). */
function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The per-server metric families (label `server`), written straight to the text exposition
 * format from one listing of the fleet. Through prom-client's labelled gauges a fleet of
 * 10 000 servers took 1.4 s of the main thread per scrape (label hashing, per-sample
 * formatting). Here each server's escaped label is kept between scrapes, a scrape is string
 * concatenation, and it yields to the event loop every few thousand lines, so gateway
 * batches are not held up behind a big scrape (bench/obs.ts prints the figures).
 *
 * `zonelb_server_state` carries only the current state's series (valued 1), not a 0 for each
 * other state: a quarter of the series on a big fleet, and `zonelb_server_state{state="suspect"}`
 * still selects the suspect servers.
 */
export class ServerExposition {
  private readonly labels = new Map<string, string>();

  constructor(
    private readonly fleet: FleetSnapshot,
    /** The engine's clock (ms): what ServerInfo.lastHeartbeat is measured on. */
    private readonly engineNow: () => number,
  ) {}

  async text(): Promise<string> {
    const servers = this.fleet.servers();
    const now = this.engineNow();
    const label = servers.map((i) => this.label(i.id));
    const out: string[] = [];
    let lines = 0;
    for (const f of FAMILIES) {
      out.push(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`);
      for (let k = 0; k < servers.length; k++) {
        out.push(`${f.name}{${label[k]}} ${value(f.read(servers[k]!, now))}\n`);
        if (++lines % LINES_PER_SLICE === 0) await nextTurn();
      }
    }
    out.push(`# HELP zonelb_server_state ${STATE_HELP}\n# TYPE zonelb_server_state gauge\n`);
    for (let k = 0; k < servers.length; k++) out.push(`zonelb_server_state{${label[k]},state="${servers[k]!.state}"} 1\n`);
    if (this.labels.size > 2 * servers.length + 1024) this.prune(servers);
    return out.join('');
  }

  private label(id: string): string {
    let l = this.labels.get(id);
    if (l === undefined) {
      l = `server="${escapeLabel(id)}"`;
      this.labels.set(id, l);
    }
    return l;
  }

  /** Forgets the labels of servers gone (ids churn as servers come and go). */
  private prune(servers: readonly ServerInfo[]): void {
    const live = new Set(servers.map((i) => i.id));
    for (const id of this.labels.keys()) if (!live.has(id)) this.labels.delete(id);
  }
}
