/**
 * The HTTP JSON API: placement (join one or a batch, leave, quit, move), the game-server lifecycle
 * (register, heartbeat, drain, remove), listings (servers with load and limits, zones with
 * population and split), stats, health and readiness. HTTP statuses say whether a request was
 * understood; a placement's own outcome (Ok, Queued, Full, NoServers...) is its `status` field,
 * exactly as on the gateway WebSocket.
 */
import { Op, statusName, type Status } from '../core/codes.ts';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import type { Engine, Placement, ZoneInfo } from '../engine/types.ts';
import type { FleetControl } from './fleet-control.ts';
import { ApiReply, type Route } from './http-router.ts';
import { JoinRoute } from './http-join.ts';
import { drainBody, heartbeatBody, joinBatchBody, leaveBody, moveBody, parseBody, registerBody } from './http-schemas.ts';
import type { NetStats } from './net-stats.ts';

export interface HttpApiDeps {
  engine: Engine;
  fleet: FleetControl;
  stats: NetStats;
  maxBatch: number;
  maxZones: number;
  /** Whether the service takes traffic (false while starting and once shutting down). */
  ready: () => boolean;
  startedAt: number;
  /** The WebSocket paths, for the route index. */
  websockets: Record<string, string>;
}

/** A placement as JSON: `status` by name, `statusCode` as on the wire. */
export function placementJson(p: Placement): PlacementJson {
  return {
    player: p.player,
    status: statusName[p.status] ?? String(p.status),
    statusCode: p.status,
    server: p.server,
    serverId: p.serverId ?? null,
    position: p.position,
  };
}

export interface PlacementJson {
  player: number;
  status: string;
  statusCode: number;
  server: number;
  serverId: string | null;
  position: number;
}

const DEFAULT_ZONE_LIMIT = 1000;
const MAX_ZONE_LIMIT = 1_000_000;

export function apiRoutes(d: HttpApiDeps): Route[] {
  const { engine, fleet } = d;
  const routes: Route[] = [
    { method: 'get', path: '/healthz', summary: 'liveness: 200 while the process serves HTTP', handler: () => ({ ok: true, uptimeSec: uptime(d) }) },
    {
      method: 'get',
      path: '/readyz',
      summary: 'readiness: 200 when the engine and sockets take traffic, 503 while starting or stopping',
      // Not gated on registered servers: game servers register through this same service, so a
      // balancer that waited for servers before accepting traffic would never get any.
      handler: () => {
        if (!d.ready()) throw new ZonelbError(ErrorCode.NotReady, 'zonelb is starting or shutting down');
        return { ready: true, activeServers: engine.servers().filter((s) => s.state === 'active').length };
      },
    },
    {
      method: 'get',
      path: '/v1/stats',
      summary: 'front-end counters and batch latency percentiles (ms)',
      handler: () => ({ ...d.stats.snapshot(), queued: engine.queued(), uptimeSec: uptime(d) }),
    },
    {
      method: 'post',
      path: '/v1/join',
      summary: 'place one player: {"player": 42, "zone": 7}',
      raw: new JoinRoute(engine, d.maxZones).handle,
    },
    {
      method: 'post',
      path: '/v1/join/batch',
      summary: 'place many players: {"joins": [{"player": 42, "zone": 7}, ...]}',
      handler: async ({ body }) => {
        const joins = (body as { joins?: unknown } | undefined)?.joins;
        // Checked before validating each entry: a batch over the limit is refused whole.
        if (Array.isArray(joins) && joins.length > d.maxBatch) {
          throw new ZonelbError(ErrorCode.BatchTooLarge, `batch of ${joins.length} joins is larger than maxBatch (${d.maxBatch})`, { field: 'joins' });
        }
        const b = parseBody(joinBatchBody, body);
        return { results: await joinMany(engine, b.joins) };
      },
    },
    {
      method: 'post',
      path: '/v1/leave',
      summary: 'a player leaves, disconnected (its seat is kept for reconnectMs): {"player": 42}',
      handler: async ({ body }) => placementJson(await engine.leave(parseBody(leaveBody, body).player)),
    },
    {
      method: 'post',
      path: '/v1/quit',
      summary: 'a player quits for good (its seat is freed at once): {"player": 42}',
      handler: async ({ body }) => placementJson(await engine.quit(parseBody(leaveBody, body).player)),
    },
    {
      method: 'post',
      path: '/v1/move',
      summary: 'a player walks into another zone: {"player": 42, "zone": 8}',
      handler: async ({ body }) => {
        const b = parseBody(moveBody, body);
        return placementJson(await engine.move(b.player, b.zone));
      },
    },
    { method: 'get', path: '/v1/servers', summary: 'every server with its state, load, limit and cap', handler: () => ({ servers: engine.servers() }) },
    {
      method: 'post',
      path: '/v1/servers',
      summary: 'register a game server: {"id": "gs-1", "weight": 1, "address": "10.0.0.5:7777"}',
      handler: ({ body }) => {
        const { info, created } = fleet.register(parseBody(registerBody, body), 'http');
        return new ApiReply(created ? '201 Created' : '200 OK', info);
      },
    },
    { method: 'get', path: '/v1/servers/:id', summary: 'one server', handler: ({ params }) => engine.server(params[0]!) },
    {
      method: 'del',
      path: '/v1/servers/:id',
      summary: 'remove a server; its players are re-placed (pushed to gateways)',
      handler: ({ params }) => fleet.remove(params[0]!, 'http'),
    },
    {
      method: 'post',
      path: '/v1/servers/:id/heartbeat',
      summary: 'load report: {"cpu": 0.41, "memory": 0.3, "players": 380} (fractions 0..1)',
      handler: ({ params, body }) => fleet.heartbeat(params[0]!, parseBody(heartbeatBody, body)),
    },
    {
      method: 'post',
      path: '/v1/servers/:id/drain',
      summary: 'stop new joins on a server; {"move": true} also re-places its players',
      handler: ({ params, body }) => fleet.drain(params[0]!, parseBody(drainBody, body, {}).move ?? false, 'http'),
    },
    {
      method: 'get',
      path: '/v1/zones',
      summary: 'zones by population (largest first) with their servers; ?limit=1000',
      handler: async ({ query }) => zonesJson(await engine.zones(), zoneLimit(query)),
    },
  ];
  routes.unshift({
    method: 'get',
    path: '/',
    summary: 'this index',
    handler: () => ({
      name: 'zonelb',
      routes: routes.map((r) => ({ method: r.method === 'del' ? 'DELETE' : r.method.toUpperCase(), path: r.path, summary: r.summary })),
      websockets: d.websockets,
    }),
  });
  return routes;
}

function uptime(d: HttpApiDeps): number {
  return Math.round((performance.now() - d.startedAt) / 1000);
}

/** One engine submission for the whole batch (not one join at a time). */
function joinMany(engine: Engine, joins: readonly { player: number; zone: number }[]): Promise<PlacementJson[]> {
  const n = joins.length;
  const req = { ops: new Uint8Array(n).fill(Op.Join), players: new Uint32Array(n), zones: new Uint32Array(n) };
  for (let i = 0; i < n; i++) {
    req.players[i] = joins[i]!.player;
    // A zone past the 32-bit range must not wrap into a valid one: clamp it to an invalid zone.
    req.zones[i] = Math.min(joins[i]!.zone, 0xffffffff);
  }
  return new Promise((resolve) => {
    const sink = {
      status: new Uint8Array(n),
      server: new Int32Array(n),
      position: new Uint32Array(n),
      done: () => {
        const out: PlacementJson[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const server = sink.server[i]!;
          out[i] = placementJson({
            player: req.players[i]!,
            status: sink.status[i] as Status,
            server,
            serverId: engine.serverIdOf(server),
            position: sink.position[i]!,
          });
        }
        resolve(out);
      },
    };
    engine.submit(req, 0, n, sink);
  });
}

function zoneLimit(query: string): number {
  const raw = new URLSearchParams(query).get('limit');
  if (raw === null) return DEFAULT_ZONE_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_ZONE_LIMIT) {
    throw new ZonelbError(ErrorCode.BadRequest, `limit: expected an integer in [1, ${MAX_ZONE_LIMIT}], got ${JSON.stringify(raw)}`, { field: 'limit' });
  }
  return n;
}

function zonesJson(zones: ZoneInfo[], limit: number): unknown {
  let population = 0;
  let split = 0;
  for (const z of zones) {
    population += z.population;
    if (z.servers.length > 1) split++;
  }
  const top = [...zones].sort((a, b) => b.population - a.population || a.zone - b.zone).slice(0, limit);
  return {
    count: zones.length,
    population,
    splitZones: split,
    zones: top.map((z) => ({ zone: z.zone, population: z.population, split: z.servers.length > 1, servers: z.servers })),
  };
}
