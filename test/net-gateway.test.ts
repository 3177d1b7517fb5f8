/**
 * Gateway WebSocket end to end over loopback: batches in, answers out with the same seq, for
 * the single-threaded engine and for worker shards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NO_SERVER, Op, Status } from '../src/core/codes.ts';
import { GatewayClient, GatewayError } from '../src/net/gateway-client.ts';
import { GatewayBatchEncoder } from '../src/wire/codec.ts';
import { request, startTestServer, type TestServer } from './fixtures/net-harness.ts';

let server: TestServer | undefined;
const clients: GatewayClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server?.close();
  server = undefined;
});

async function gateway(s: TestServer): Promise<GatewayClient> {
  const c = await GatewayClient.connect(s.gatewayUrl);
  clients.push(c);
  return c;
}

function batch(op: number, players: number[], zones: number[]): [Uint8Array, Uint32Array, Uint32Array] {
  return [new Uint8Array(players.length).fill(op), Uint32Array.from(players), Uint32Array.from(zones)];
}

describe.each([1, 2])('gateway batches with %i shard(s)', (shards) => {
  it('answers every join of a batch with the same seq and a registered server', async () => {
    server = await startTestServer({ engine: { shards } });
    const a = await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
    const b = await request('POST', `${server.http}/v1/servers`, { id: 'gs-b' });
    const handles = new Set([a.body.handle, b.body.handle]);
    const g = await gateway(server);
    const players = Array.from({ length: 200 }, (_, i) => 1000 + i);
    const zones = players.map((_, i) => i);
    const answer = await g.send(...batch(Op.Join, players, zones));
    expect(answer.seq).toBe(1);
    expect(answer.count).toBe(200);
    expect([...answer.players]).toEqual(players);
    for (let i = 0; i < 200; i++) {
      expect(answer.statuses[i]).toBe(Status.Ok);
      expect(handles.has(answer.servers[i])).toBe(true);
      expect(answer.positions[i]).toBe(0);
    }
    // Zone affinity: newcomers to those zones land on each zone's server.
    const more = players.slice(0, 20).map((p) => p + 10_000);
    const again = await g.send(...batch(Op.Join, more, zones.slice(0, 20)));
    expect(again.seq).toBe(2);
    for (let i = 0; i < 20; i++) {
      expect(again.statuses[i]).toBe(Status.Ok);
      expect(again.servers[i]).toBe(answer.servers[i]);
    }
  });

  it('answers moves and leaves; unknown players get NotFound', async () => {
    server = await startTestServer({ engine: { shards, reconnectMs: 0 } });
    await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
    const g = await gateway(server);
    await g.send(...batch(Op.Join, [1, 2, 3], [5, 5, 6]));
    const moved = await g.send(...batch(Op.Move, [1, 99], [6, 6]));
    expect([...moved.statuses]).toEqual([Status.Ok, Status.NotFound]);
    expect(moved.servers[1]).toBe(NO_SERVER);
    const left = await g.send(...batch(Op.Leave, [2, 3, 98], [0, 0, 0]));
    expect([...left.statuses]).toEqual([Status.Ok, Status.Ok, Status.NotFound]);
  });

  it('answers pipelined batches, each with its own seq, and an empty batch', async () => {
    server = await startTestServer({ engine: { shards } });
    await request('POST', `${server.http}/v1/servers`, { id: 'gs-a', weight: 10 });
    const g = await gateway(server);
    const sends = [];
    for (let k = 0; k < 20; k++) sends.push(g.send(...batch(Op.Join, [k * 10 + 1, k * 10 + 2], [k, k])));
    sends.push(g.send(new Uint8Array(0), new Uint32Array(0), new Uint32Array(0)));
    const answers = await Promise.all(sends);
    answers.forEach((a, k) => {
      expect(a.seq).toBe(k + 1);
      if (k < 20) expect([...a.players]).toEqual([k * 10 + 1, k * 10 + 2]);
    });
    expect(answers[20]!.count).toBe(0);
    expect(server.server.stats.batches).toBe(21);
    expect(server.server.stats.requests).toBe(40);
  });

  it('serves several gateways at once, and says NoServers before any server registers', async () => {
    server = await startTestServer({ engine: { shards } });
    const [g1, g2] = [await gateway(server), await gateway(server)];
    const none = await g1.send(...batch(Op.Join, [7], [1]));
    expect(none.statuses[0]).toBe(Status.NoServers);
    await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
    const [a1, a2] = await Promise.all([g1.send(...batch(Op.Join, [7], [1])), g2.send(...batch(Op.Join, [8], [1]))]);
    expect(a1.statuses[0]).toBe(Status.Ok);
    expect(a2.statuses[0]).toBe(Status.Ok);
    expect(a1.servers[0]).toBe(a2.servers[0]);
    expect(server.server.stats.gatewaysOpen).toBe(2);
  });

  it('queues joins when every server is full, with a position', async () => {
    // No cold-start ramp: the server's cap of 2 is its limit from registration on.
    server = await startTestServer({ engine: { shards, limits: { playersPerServer: 2 }, admission: { coldStart: 1 } } });
    await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
    const g = await gateway(server);
    const a = await g.send(...batch(Op.Join, [1, 2, 3, 4], [0, 0, 0, 0]));
    expect([...a.statuses]).toEqual([Status.Ok, Status.Ok, Status.Queued, Status.Queued]);
    expect([...a.positions]).toEqual([0, 0, 1, 2]);
  });
});

it('refuses batches past maxInFlightPerGateway with ZLB_ERR_TOO_MANY_IN_FLIGHT and the batch seq', async () => {
  // Worker shards answer asynchronously, so two batches read in one go are both in flight.
  server = await startTestServer({ engine: { shards: 2 }, net: { maxInFlightPerGateway: 1 } });
  await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
  const g = await gateway(server);
  const enc = new GatewayBatchEncoder(4);
  const [ops, players, zones] = batch(Op.Join, [1], [1]);
  const sock = g.socket.socket;
  sock.cork(); // both frames in one TCP write: the second is read before the first is answered
  const first = g.sendFrame(41, enc.encode(41, 1, ops, players, zones).slice());
  const second = g.sendFrame(42, enc.encode(42, 1, ops, players, zones).slice()).then(
    () => undefined,
    (e: unknown) => e,
  );
  sock.uncork();
  expect((await first).statuses[0]).toBe(Status.Ok);
  const err = await second;
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('ZLB_ERR_TOO_MANY_IN_FLIGHT');
  expect((err as GatewayError).seq).toBe(42);
  // The connection is still usable.
  expect((await g.send(ops, players, zones)).statuses[0]).toBe(Status.Ok);
});

it('records one latency sample per batch, not per request', async () => {
  server = await startTestServer();
  await request('POST', `${server.http}/v1/servers`, { id: 'gs-a' });
  const g = await gateway(server);
  for (let k = 0; k < 3; k++) await g.send(...batch(Op.Join, [k * 3 + 1, k * 3 + 2, k * 3 + 3], [1, 1, 1]));
  const stats = await request('GET', `${server.http}/v1/stats`);
  expect(stats.body.batchLatency.count).toBe(3);
  expect(stats.body.requests).toBe(9);
});
