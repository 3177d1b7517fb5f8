/**
 * Game servers over the binary WebSocket (/v1/server): register, heartbeat, drain, leave, and
 * the acks for reports zonelb refuses.
 */
import { afterEach, expect, it } from 'vitest';
import { NO_SERVER } from '../src/core/codes.ts';
import { ReportError, ServerClient } from '../src/net/server-client.ts';
import { ReportKind, decodeErrorReply, encodeServerReport } from '../src/wire/codec.ts';
import { WsClient } from '../src/net/ws-client.ts';
import { CloseCode } from '../src/net/close-codes.ts';
import { request, startTestServer, type TestServer } from './fixtures/net-harness.ts';

let server: TestServer | undefined;
const clients: ServerClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server?.close();
  server = undefined;
});

async function connect(s: TestServer): Promise<ServerClient> {
  const c = await ServerClient.connect(s.serverUrl);
  clients.push(c);
  return c;
}

async function refusal(p: Promise<unknown>): Promise<ReportError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ReportError);
  return e as ReportError;
}

it('registers a server and takes its heartbeats; the engine sees the load', async () => {
  server = await startTestServer();
  const c = await connect(server);
  const ack = await c.register('eu-west/gs-17', 2, '10.0.0.5:7777');
  expect(ack.serverId).toBe('eu-west/gs-17');
  expect(ack.handle).not.toBe(NO_SERVER);
  expect(ack.errorCode).toBe('');
  const hb = await c.heartbeat('eu-west/gs-17', { cpu: 0.25, memory: 0.5, players: 10 });
  expect(hb.handle).toBe(ack.handle);
  const info = server.engine.server('eu-west/gs-17');
  expect(info.weight).toBe(2);
  expect(info.address).toBe('10.0.0.5:7777');
  expect(info.cpu).toBeCloseTo(0.25, 5);
  expect(info.memory).toBeCloseTo(0.5, 5);
  expect(info.reportedPlayers).toBe(10);
  // The HTTP API sees the same server.
  const listed = await request('GET', `${server.http}/v1/servers/${encodeURIComponent('eu-west/gs-17')}`);
  expect(listed.status).toBe(200);
  expect(listed.body.handle).toBe(ack.handle);
});

it('takes a Register carrying load as the first heartbeat (players zonelb did not seat leave it fewer seats)', async () => {
  server = await startTestServer();
  const c = await connect(server);
  // Already hosting 100 players at 0.005 CPU each or less: at most 59 more fit below 0.8.
  await c.register('gs-full', 1, '', { cpu: 0.5, memory: 0.3, players: 100 });
  const full = server.engine.server('gs-full');
  expect(full).toMatchObject({ reportedPlayers: 100, players: 0 });
  expect(full.cpu).toBeCloseTo(0.5, 5);
  expect(full.limit).toBeLessThanOrEqual(59);
  // Without load fields it is a plain registration: the limit of a server not heard from yet.
  await c.register('gs-new');
  expect(server.engine.server('gs-new')).toMatchObject({ reportedPlayers: 0, cpu: 0 });
  expect(server.engine.server('gs-new').limit).toBeGreaterThan(59);
});

it('acks a drain, then a leave, in order with the heartbeats sent behind them', async () => {
  server = await startTestServer();
  const c = await connect(server);
  await c.register('gs-1');
  // Sent back to back: the drain is async in the engine, the heartbeat is not, yet acks keep order.
  const drain = c.drain('gs-1');
  const hb = c.heartbeat('gs-1', { cpu: 0.1, memory: 0.1, players: 0 });
  expect((await drain).serverId).toBe('gs-1');
  expect((await hb).serverId).toBe('gs-1');
  expect(server.engine.server('gs-1').state).toBe('draining');
  await c.leave('gs-1');
  expect(server.engine.servers()).toEqual([]);
});

it('answers refused reports with the engine error code and keeps the socket open', async () => {
  server = await startTestServer();
  const c = await connect(server);
  expect((await refusal(c.heartbeat('nobody', { cpu: 0.1, memory: 0.1, players: 0 }))).code).toBe('ZLB_ERR_UNKNOWN_SERVER');
  await c.register('gs-1');
  const bad = await refusal(c.heartbeat('gs-1', { cpu: 1.5, memory: 0.1, players: 0 }));
  expect(bad.code).toBe('ZLB_ERR_INVALID_ARGUMENT');
  expect(bad.message).toContain('cpu');
  expect((await refusal(c.drain('ghost'))).code).toBe('ZLB_ERR_UNKNOWN_SERVER');
  expect((await refusal(c.leave('ghost'))).code).toBe('ZLB_ERR_UNKNOWN_SERVER');
  const tooLong = encodeServerReport({ kind: ReportKind.Register, serverId: 'x'.repeat(200), cpu: 0, memory: 0, players: 0, weight: 1 });
  expect((await refusal(c.report(tooLong))).code).toBe('ZLB_ERR_INVALID_ARGUMENT');
  // Still usable.
  expect((await c.heartbeat('gs-1', { cpu: 0.2, memory: 0.2, players: 1 })).handle).not.toBe(NO_SERVER);
});

it('answers malformed and text frames with an ErrorReply', async () => {
  server = await startTestServer();
  const c = await connect(server);
  expect((await refusal(c.report(Uint8Array.of(1, 2, 3)))).code).toBe('ZLB_ERR_MALFORMED_FRAME');
  const good = encodeServerReport({ kind: ReportKind.Register, serverId: 'gs-1', cpu: 0, memory: 0, players: 0, weight: 1 });
  expect((await refusal(c.report(good.subarray(0, good.length - 6)))).code).toMatch(/^ZLB_ERR_/);
  const raw = await WsClient.connect(server.serverUrl);
  const answer = new Promise<Uint8Array>((resolve) => {
    raw.onMessage = (data) => resolve(data);
  });
  raw.sendText('{"register":"gs-1"}');
  const reply = decodeErrorReply(await answer);
  expect(reply.code).toBe('ZLB_ERR_MALFORMED_FRAME');
  expect(reply.message).toContain('text frame');
  await raw.close();
  expect((await c.register('gs-1')).serverId).toBe('gs-1');
});

it('closes a game server that stops reading its acks with 4008; another is served meanwhile', async () => {
  server = await startTestServer({ net: { serverBackpressureBytes: 16 * 1024 } });
  const ws = await WsClient.connect(server.serverUrl);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onClose = (code, reason) => resolve({ code, reason });
  });
  ws.pause();
  ws.send(encodeServerReport({ kind: ReportKind.Register, serverId: 'gs-deaf', weight: 1, cpu: 0, memory: 0, players: 0 }));
  const beat = encodeServerReport({ kind: ReportKind.Heartbeat, serverId: 'gs-deaf', weight: 1, cpu: 0.1, memory: 0.1, players: 0 }).slice();
  // Each heartbeat is acked; kernel buffers take the first few MB of acks. Bounded: 400 000 beats.
  const stats = server.server.stats;
  for (let i = 0; i < 400_000 && stats.slowConsumerCloses === 0; i++) {
    ws.send(beat);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 1));
  }
  expect(stats.slowConsumerCloses).toBe(1);
  // Another game server is served meanwhile.
  const other = await connect(server);
  expect((await other.register('gs-other', 1)).errorCode).toBe('');
  ws.resume();
  const { code, reason } = await closed;
  expect(code).toBe(CloseCode.SlowConsumer);
  expect(reason).toMatch(/^ZLB_ERR_SLOW_CONSUMER: acks unread past 16384 bytes/);
});
