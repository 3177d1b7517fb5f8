/**
 * Every route of the HTTP JSON API, over loopback.
 */
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ErrorCode } from '../src/core/errors.ts';
import { createEngine } from '../src/index.ts';
import { FleetControl } from '../src/net/fleet-control.ts';
import { apiRoutes } from '../src/net/http-api.ts';
import { hasHttpStatus, httpStatusOf } from '../src/net/http-util.ts';
import { NetStats } from '../src/net/net-stats.ts';
import { heartbeat, request, startTestServer, type TestServer } from './fixtures/net-harness.ts';

let s: TestServer;
let url: string;

beforeAll(async () => {
  s = await startTestServer({ engine: { maxZones: 1000, maxBatch: 100, reconnectMs: 0 } });
  url = s.http;
});

afterAll(async () => {
  await s.close();
});

/** POST `parts` as one body (its length declared up front), written one part at a time with pauses. */
function chunkedPost(target: string, parts: string[]): Promise<{ status: number; text: string }> {
  const { hostname, port, pathname } = new URL(target);
  const length = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path: pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    void (async () => {
      for (const part of parts) {
        if (req.destroyed) return;
        req.write(part);
        await sleep(30);
      }
      req.end();
    })();
  });
}

describe('health', () => {
  it('GET / lists every route', async () => {
    const r = await request('GET', `${url}/`);
    expect(r.status).toBe(200);
    const paths = r.body.routes.map((x: { method: string; path: string }) => `${x.method} ${x.path}`);
    for (const p of ['GET /healthz', 'GET /readyz', 'POST /v1/join', 'POST /v1/join/batch', 'POST /v1/leave', 'POST /v1/quit', 'POST /v1/move', 'GET /v1/servers', 'POST /v1/servers', 'GET /v1/servers/:id', 'DELETE /v1/servers/:id', 'POST /v1/servers/:id/heartbeat', 'POST /v1/servers/:id/drain', 'GET /v1/zones', 'GET /v1/stats']) {
      expect(paths).toContain(p);
    }
    expect(Object.keys(r.body.websockets)).toEqual(['/v1/gateway', '/v1/server']);
  });

  it('GET /healthz and /readyz answer 200', async () => {
    const h = await request('GET', `${url}/healthz`);
    expect(h.status).toBe(200);
    expect(h.body.ok).toBe(true);
    const r = await request('GET', `${url}/readyz`);
    expect(r.status).toBe(200);
    expect(r.body.ready).toBe(true);
  });

  it('/readyz answers 503 ZLB_ERR_NOT_READY when the service is not ready', async () => {
    const engine = await createEngine({ shards: 1 }, { autoTick: false });
    const routes = apiRoutes({
      engine,
      fleet: new FleetControl(engine, pino({ level: 'silent' })),
      stats: new NetStats(),
      maxBatch: 10,
      maxZones: 10,
      ready: () => false,
      startedAt: 0,
      websockets: {},
    });
    const readyz = routes.find((r) => r.path === '/readyz')!;
    let err: unknown;
    try {
      readyz.handler!({ params: [], body: undefined, query: '' });
    } catch (e) {
      err = e;
    }
    expect((err as { code: string }).code).toBe(ErrorCode.NotReady);
    expect(httpStatusOf(ErrorCode.NotReady)).toBe('503 Service Unavailable');
    await engine.close();
  });

  it('GET /v1/stats reports counters and latency', async () => {
    const r = await request('GET', `${url}/v1/stats`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ gatewaysOpen: 0, queued: 0 });
    expect(r.body.batchLatency).toHaveProperty('p99Ms');
    expect(r.body.httpRequests).toBeGreaterThan(0);
  });
});

describe('servers', () => {
  it('POST /v1/servers registers (201) and re-registers (200)', async () => {
    const r = await request('POST', `${url}/v1/servers`, { id: 'gs-1', weight: 2, address: '10.0.0.1:7777' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 'gs-1', weight: 2, address: '10.0.0.1:7777', state: 'active', cap: 2000 });
    const again = await request('POST', `${url}/v1/servers`, { id: 'gs-1', weight: 2 });
    expect(again.status).toBe(200);
    expect(again.body.handle).toBe(r.body.handle);
  });

  it('POST /v1/servers takes a load as the first heartbeat; a bad one is refused and registers nothing', async () => {
    const r = await request('POST', `${url}/v1/servers`, { id: 'gs-busy', load: { cpu: 0.5, memory: 0.3, players: 100 } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 'gs-busy', reportedPlayers: 100, players: 0 });
    // 100 players it already hosts, at 0.005 CPU each or less: at most 59 seats for zonelb.
    expect(r.body.limit).toBeLessThanOrEqual(59);
    const bad = await request('POST', `${url}/v1/servers`, { id: 'gs-bad', load: { cpu: 1.5, memory: 0.3, players: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: ErrorCode.InvalidArgument, field: 'load.cpu' });
    const typo = await request('POST', `${url}/v1/servers`, { id: 'gs-bad', load: { cpu: 0.5, memory: 0.3, player: 1 } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.field).toBe('load.player');
    expect((await request('GET', `${url}/v1/servers/gs-bad`)).status).toBe(404);
    await request('DELETE', `${url}/v1/servers/gs-busy`);
  });

  it('GET /v1/servers lists servers with load and limits; GET /v1/servers/:id shows one', async () => {
    await request('POST', `${url}/v1/servers`, { id: 'eu/gs-2' });
    const list = await request('GET', `${url}/v1/servers`);
    expect(list.status).toBe(200);
    const ids = list.body.servers.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['gs-1', 'eu/gs-2']));
    for (const key of ['state', 'players', 'limit', 'cap', 'cpu', 'memory', 'weight']) expect(list.body.servers[0]).toHaveProperty(key);
    const one = await request('GET', `${url}/v1/servers/${encodeURIComponent('eu/gs-2')}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe('eu/gs-2');
  });

  it('POST /v1/servers/:id/heartbeat updates load and the admission limit', async () => {
    const r = await request('POST', `${url}/v1/servers/gs-1/heartbeat`, heartbeat(0, 0.3, 0.4));
    expect(r.status).toBe(200);
    expect(r.body.cpu).toBeCloseTo(0.3);
    expect(r.body.memory).toBeCloseTo(0.4);
    expect(r.body.limit).toBeGreaterThan(0);
  });

  it('POST /v1/servers/:id/drain stops new joins, DELETE /v1/servers/:id removes', async () => {
    await request('POST', `${url}/v1/servers`, { id: 'gs-drain' });
    const d = await request('POST', `${url}/v1/servers/gs-drain/drain`);
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ id: 'gs-drain', moved: 0, remaining: 0 });
    expect((await request('GET', `${url}/v1/servers/gs-drain`)).body.state).toBe('draining');
    const del = await request('DELETE', `${url}/v1/servers/gs-drain`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: 'gs-drain', replaced: 0, lost: 0 });
    expect((await request('GET', `${url}/v1/servers/gs-drain`)).status).toBe(404);
  });

  it('unknown server ids answer 404 ZLB_ERR_UNKNOWN_SERVER on every server route', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/servers/ghost', undefined],
      ['POST', '/v1/servers/ghost/heartbeat', heartbeat(0)],
      ['POST', '/v1/servers/ghost/drain', {}],
      ['DELETE', '/v1/servers/ghost', undefined],
    ] as const) {
      const r = await request(method, `${url}${path}`, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('ZLB_ERR_UNKNOWN_SERVER');
      expect(r.body.error.field).toBe('serverId');
    }
  });
});

describe('players', () => {
  it('POST /v1/join places a player and names its server', async () => {
    const r = await request('POST', `${url}/v1/join`, { player: 42, zone: 7 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ player: 42, status: 'Ok', statusCode: 0, position: 0 });
    expect(['gs-1', 'eu/gs-2']).toContain(r.body.serverId);
  });

  it('POST /v1/join/batch places many in one submission', async () => {
    const joins = Array.from({ length: 20 }, (_, i) => ({ player: 100 + i, zone: i % 3 }));
    const r = await request('POST', `${url}/v1/join/batch`, { joins });
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(20);
    for (const [i, x] of r.body.results.entries()) {
      expect(x.player).toBe(100 + i);
      expect(x.status).toBe('Ok');
    }
    const tooMany = await request('POST', `${url}/v1/join/batch`, { joins: Array.from({ length: 101 }, (_, i) => ({ player: i, zone: 0 })) });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.code).toBe('ZLB_ERR_BATCH_TOO_LARGE');
  });

  it('a body that arrives in several chunks is read whole', async () => {
    const joins = Array.from({ length: 30 }, (_, i) => ({ player: 300 + i, zone: i % 4 }));
    const text = JSON.stringify({ joins });
    // Three writes with pauses between them: the server gets the body in separate reads.
    const parts = [text.slice(0, 7), text.slice(7, 400), text.slice(400)];
    const r = await chunkedPost(`${url}/v1/join/batch`, parts);
    expect(r.status).toBe(200);
    // One answer per join, in order: the parts were joined in order, nothing lost or repeated.
    const body = JSON.parse(r.text) as { results: { player: number }[] };
    expect(body.results.map((x) => x.player)).toEqual(joins.map((j) => j.player));
    // Over the limit across chunks: refused as soon as the limit is passed.
    const big = await chunkedPost(`${url}/v1/join/batch`, ['{"joins":[', ' '.repeat(3 << 20), ' '.repeat(2 << 20), ']}']);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).error.code).toBe('ZLB_ERR_PAYLOAD_TOO_LARGE');
  });

  it('POST /v1/move and /v1/leave; an unknown player gets status NotFound', async () => {
    const m = await request('POST', `${url}/v1/move`, { player: 42, zone: 8 });
    expect(m.status).toBe(200);
    expect(m.body.status).toBe('Ok');
    const l = await request('POST', `${url}/v1/leave`, { player: 42 });
    expect(l.body.status).toBe('Ok');
    const again = await request('POST', `${url}/v1/leave`, { player: 42 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'NotFound', statusCode: 5, server: -1, serverId: null });
  });

  it('POST /v1/quit frees the seat at once: the player cannot reconnect to it', async () => {
    const j = await request('POST', `${url}/v1/join`, { player: 43, zone: 8 });
    expect(j.body.status).toBe('Ok');
    const q = await request('POST', `${url}/v1/quit`, { player: 43 });
    expect(q.body).toMatchObject({ status: 'Ok', server: j.body.server });
    const again = await request('POST', `${url}/v1/quit`, { player: 43 });
    expect(again.body.status).toBe('NotFound');
    const back = await request('POST', `${url}/v1/join`, { player: 43, zone: 8 });
    expect(back.body.status).toBe('Ok');
    const bad = await request('POST', `${url}/v1/quit`, { player: 43, zone: 8 });
    expect(bad.status).toBe(400);
  });

  it('GET /v1/zones lists zones by population with their servers and split', async () => {
    const r = await request('GET', `${url}/v1/zones?limit=2`);
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThanOrEqual(3);
    expect(r.body.zones).toHaveLength(2);
    expect(r.body.zones[0].population).toBeGreaterThanOrEqual(r.body.zones[1].population);
    expect(r.body.zones[0]).toHaveProperty('split');
    expect(r.body.zones[0].servers[0]).toHaveProperty('serverId');
    const bad = await request('GET', `${url}/v1/zones?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('limit');
  });
});

describe('routing', () => {
  it('answers 404 for an unknown path and 405 with Allow for a wrong method', async () => {
    const nf = await request('GET', `${url}/v2/nothing`);
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('ZLB_ERR_NOT_FOUND');
    const na = await request('PUT', `${url}/v1/join`, {});
    expect(na.status).toBe(405);
    expect(na.body.error.code).toBe('ZLB_ERR_METHOD_NOT_ALLOWED');
    expect(na.headers.get('allow')).toBe('POST');
  });

  it('maps every error code to an HTTP status', () => {
    const serverSide = new Set<string>([ErrorCode.Internal, ErrorCode.UwsFallback, ErrorCode.ListenFailed]);
    for (const code of Object.values(ErrorCode)) {
      expect(hasHttpStatus(code), code).toBe(true);
      if (serverSide.has(code)) expect(httpStatusOf(code)).toBe('500 Internal Server Error');
      else expect(httpStatusOf(code), code).not.toBe('500 Internal Server Error');
    }
  });
});
