/**
 * Players moved without asking are pushed to every connected gateway: a crashed server
 * (heartbeats stop), a drain with move, a removal.
 */
import { afterEach, expect, it } from 'vitest';
import { Op, Reason, Status } from '../src/core/codes.ts';
import { GatewayClient } from '../src/net/gateway-client.ts';
import type { ReplacementEvents } from '../src/wire/codec.ts';
import { heartbeat, request, startTestServer, until, type TestServer } from './fixtures/net-harness.ts';

let server: TestServer | undefined;
const clients: GatewayClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server?.close();
  server = undefined;
});

/** A gateway that collects every pushed event. */
async function listeningGateway(s: TestServer): Promise<{ client: GatewayClient; events: ReplacementEvents[] }> {
  const client = await GatewayClient.connect(s.gatewayUrl);
  clients.push(client);
  const events: ReplacementEvents[] = [];
  client.onReplacement((e) => events.push(e));
  return { client, events };
}

function flatten(batches: readonly ReplacementEvents[]): { player: number; oldServer: number; newServer: number; zone: number; reason: number }[] {
  const out = [];
  for (const b of batches) {
    for (let i = 0; i < b.count; i++) {
      out.push({ player: b.players[i]!, oldServer: b.oldServers[i]!, newServer: b.newServers[i]!, zone: b.zones[i]!, reason: b.reasons[i]! });
    }
  }
  return out;
}

/** Joins `players` (zone = player % 50) through `g`; returns the server handle of each. */
async function joinAll(g: GatewayClient, players: number[]): Promise<Int32Array> {
  const a = await g.send(new Uint8Array(players.length).fill(Op.Join), Uint32Array.from(players), Uint32Array.from(players, (p) => p % 50));
  for (const s of a.statuses) expect(s).toBe(Status.Ok);
  return a.servers;
}

it.each([1, 2])('pushes re-placements of a crashed server to every gateway (%i shard(s), virtual clock, explicit tick)', async (shards) => {
  let now = 0;
  server = await startTestServer({ engine: { shards, suspectAfterMs: 100, deadAfterMs: 200 }, runtime: { clock: () => now, autoTick: false } });
  const a = (await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' })).body.handle as number;
  const b = (await request('POST', `${server.http}/v1/servers`, { id: 'gs-b' })).body.handle as number;
  const g1 = await listeningGateway(server);
  const g2 = await listeningGateway(server);
  const players = Array.from({ length: 100 }, (_, i) => i + 1);
  const servers = await joinAll(g1.client, players);
  const onA = players.filter((_, i) => servers[i] === a);
  expect(onA.length).toBeGreaterThan(0);

  // gs-b keeps heartbeating, gs-a goes silent past deadAfterMs.
  now = 300;
  expect((await request('POST', `${server.http}/v1/servers/gs-b/heartbeat`, heartbeat(players.length - onA.length))).status).toBe(200);
  await server.engine.tick(now);

  for (const g of [g1, g2]) {
    const events = await until(() => {
      const all = flatten(g.events);
      return all.length >= onA.length && all;
    }, 'pushed re-placements');
    const crashed = events.filter((e) => e.reason === Reason.Crashed);
    expect(crashed.map((e) => e.player).sort((x, y) => x - y)).toEqual(onA);
    for (const e of crashed) {
      expect(e.oldServer).toBe(a);
      expect(e.newServer).toBe(b);
      expect(e.zone).toBe(e.player % 50);
    }
  }
  expect(server.server.stats.replacementsPushed).toBeGreaterThanOrEqual(onA.length);
  expect((await request('GET', `${server.http}/v1/servers/gs-a`)).status).toBe(404);
});

it('detects the crash on its own with the engine timer (small suspect/dead windows)', async () => {
  server = await startTestServer({
    engine: { shards: 2, suspectAfterMs: 150, deadAfterMs: 300, tickMs: 20 },
    runtime: { autoTick: true },
  });
  await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
  await request('POST', `${server.http}/v1/servers`, { id: 'gs-b' });
  const g = await listeningGateway(server);
  const players = Array.from({ length: 40 }, (_, i) => i + 1);
  const servers = await joinAll(g.client, players);
  const aHandle = server.engine.server('gs-a').handle;
  const onA = players.filter((_, i) => servers[i] === aHandle).length;
  // Keep gs-b alive until gs-a is declared dead and its players are pushed.
  const events = await until(
    async () => {
      await request('POST', `${server!.http}/v1/servers/gs-b/heartbeat`, heartbeat(players.length));
      const all = flatten(g.events).filter((e) => e.reason === Reason.Crashed);
      return all.length >= onA && all;
    },
    'the crash to be detected and pushed',
    10_000,
  );
  expect(events.length).toBe(onA);
  for (const e of events) expect(e.oldServer).toBe(aHandle);
});

it('pushes Drained events for a drain with move, and Removed events for a removal', async () => {
  server = await startTestServer();
  await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
  const g = await listeningGateway(server);
  const players = Array.from({ length: 10 }, (_, i) => i + 1);
  await joinAll(g.client, players);
  await request('POST', `${server.http}/v1/servers`, { id: 'gs-b' });
  const drained = await request('POST', `${server.http}/v1/servers/gs-a/drain`, { move: true });
  expect(drained.status).toBe(200);
  expect(drained.body).toEqual({ id: 'gs-a', moved: 10, remaining: 0 });
  await until(() => flatten(g.events).filter((e) => e.reason === Reason.Drained).length === 10, 'Drained events');

  const removed = await request('DELETE', `${server.http}/v1/servers/gs-b`);
  expect(removed.status).toBe(200);
  expect(removed.body.id).toBe('gs-b');
  expect(removed.body.replaced + removed.body.lost).toBe(10);
  await until(() => flatten(g.events).filter((e) => e.reason === Reason.Removed || e.reason === Reason.Lost).length === 10, 'Removed events');
});
