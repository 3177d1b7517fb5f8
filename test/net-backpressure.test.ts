/**
 * A gateway that stops reading is closed with 4008 (ZLB_ERR_SLOW_CONSUMER) once what is unsent
 * to it passes the limit, instead of growing zonelb's memory; other gateways are unaffected.
 * A gateway that reads is not closed for a burst of re-placements larger than the limit.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Op, Status } from '../src/core/codes.ts';
import { CloseCode } from '../src/net/close-codes.ts';
import { GatewayClient } from '../src/net/gateway-client.ts';
import { WsClient } from '../src/net/ws-client.ts';
import { GatewayBatchEncoder } from '../src/wire/codec.ts';
import { request, startTestServer, until, type TestServer } from './fixtures/net-harness.ts';

const LIMIT = 64 * 1024;
const N = 4096; // requests per batch: 64 KiB of results per reply
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ engine: { maxBatch: N, reconnectMs: 0 }, net: { gatewayBackpressureBytes: LIMIT } });
  await request('POST', `${s.http}/v1/servers`, { id: 'gs-1', weight: 1000 });
});

afterAll(async () => {
  await s.close();
});

it('closes a gateway that stops reading with 4008, after at most the limit plus one reply, and serves others', async () => {
  const slow = await WsClient.connect(s.gatewayUrl);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    slow.onClose = (code, reason) => resolve({ code, reason });
  });
  let replies = 0;
  slow.onMessage = () => {
    replies++;
  };
  slow.pause();
  const enc = new GatewayBatchEncoder(N);
  const ops = new Uint8Array(N).fill(Op.Join);
  const players = new Uint32Array(N);
  const zones = new Uint32Array(N);
  // Kernel socket buffers absorb a few MB first; bounded: at most 1000 batches (64 MB of replies).
  let sent = 0;
  for (; sent < 1000 && s.server.stats.slowConsumerCloses === 0; sent++) {
    for (let k = 0; k < N; k++) players[k] = ((sent % 50) * N + k) % 200_000;
    slow.send(enc.encode(sent + 1, N, ops, players, zones));
    await new Promise((r) => setTimeout(r, 1));
  }
  expect(s.server.stats.slowConsumerCloses).toBe(1);
  expect(s.server.stats.gatewaysOpen).toBe(0);

  // Another gateway is served while the slow one is being dropped.
  const other = await GatewayClient.connect(s.gatewayUrl);
  const a = await other.send(Uint8Array.of(Op.Join), Uint32Array.of(999_999), Uint32Array.of(0));
  expect(a.statuses[0]).toBe(Status.Ok);
  await other.close();

  // Reading again, the slow gateway gets the replies that were queued, then the close code.
  slow.resume();
  const { code, reason } = await closed;
  expect(code).toBe(CloseCode.SlowConsumer);
  expect(reason).toMatch(/^ZLB_ERR_SLOW_CONSUMER/);
  expect(replies).toBeGreaterThan(0);
  expect(replies).toBeLessThanOrEqual(sent);
  await until(() => s.server.stats.gatewaysOpen === 0, 'the slow gateway to be gone');
});

it('judges a gateway by what it left unread before a push, not by the push: a reading one takes bursts over the limit', async () => {
  const fast = await GatewayClient.connect(s.gatewayUrl);
  let pushed = 0;
  fast.onReplacement((e) => {
    pushed += e.count;
  });
  // The first test's players move from gs-1 to gs-a and gs-b, and 100 000 more join: each
  // removal below pushes a burst of MBs, dozens of times the 64 KiB limit.
  await request('POST', `${s.http}/v1/servers`, { id: 'gs-a', weight: 1000 });
  await request('POST', `${s.http}/v1/servers`, { id: 'gs-b', weight: 1000 });
  await request('DELETE', `${s.http}/v1/servers/gs-1`);
  const players = new Uint32Array(N);
  const zones = new Uint32Array(N);
  for (let b = 0; b < 25; b++) {
    for (let k = 0; k < N; k++) {
      players[k] = 1_000_000 + b * N + k;
      zones[k] = k % 500;
    }
    const a = await fast.send(new Uint8Array(N).fill(Op.Join), players, zones);
    expect(a.statuses.every((x) => x === Status.Ok)).toBe(true);
  }
  const slow = await WsClient.connect(s.gatewayUrl);
  const closed = new Promise<number>((resolve) => {
    slow.onClose = (code) => resolve(code);
  });
  slow.pause();
  const closesBefore = s.server.stats.slowConsumerCloses;
  const pushedBefore = s.server.stats.replacementsPushed;
  const readBefore = pushed;
  // Remove a server (its players are re-placed and pushed), let the reading gateway read, put
  // the server back; again. The paused one fills its kernel buffers, then zonelb's. Bounded:
  // at most 30 removals.
  for (let i = 0; i < 30 && s.server.stats.slowConsumerCloses === closesBefore; i++) {
    const id = i % 2 === 0 ? 'gs-a' : 'gs-b';
    expect((await request('DELETE', `${s.http}/v1/servers/${id}`)).status).toBe(200);
    // A gateway sends while it reads: its request arrives behind a burst still unsent.
    const a = await fast.send(Uint8Array.of(Op.Join), Uint32Array.of(2_000_000 + i), Uint32Array.of(7));
    expect(a.statuses[0]).toBe(Status.Ok);
    const sent = s.server.stats.replacementsPushed - pushedBefore;
    await until(() => pushed - readBefore >= sent, 'the reading gateway to read the push', 10_000);
    expect((await request('POST', `${s.http}/v1/servers`, { id, weight: 1000 })).status).toBe(201);
  }
  // Only the paused gateway was closed; the reading one got every event, and is open.
  expect(s.server.stats.slowConsumerCloses).toBe(closesBefore + 1);
  expect(pushed - readBefore).toBe(s.server.stats.replacementsPushed - pushedBefore);
  expect(pushed - readBefore).toBeGreaterThan(100_000);
  expect(s.server.stats.gatewaysOpen).toBe(1);
  slow.resume();
  expect(await closed).toBe(CloseCode.SlowConsumer);
  await fast.close();
});
