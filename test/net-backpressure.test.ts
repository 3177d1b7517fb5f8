/**
 * A gateway that stops reading is closed with 4008 (ZLB_ERR_SLOW_CONSUMER) once its unread
 * replies pass the limit, instead of growing zonelb's memory; other gateways are unaffected.
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
