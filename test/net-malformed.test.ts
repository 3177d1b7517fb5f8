/**
 * Malformed input never crashes zonelb nor disturbs other connections: every bad frame or
 * request gets a clear error reply (or, past maxPayloadLength, a close code).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Op, Status } from '../src/core/codes.ts';
import { GatewayClient, GatewayError } from '../src/net/gateway-client.ts';
import { WsClient } from '../src/net/ws-client.ts';
import { GatewayBatchEncoder, ReportKind, decodeErrorReply, encodeServerReport } from '../src/wire/codec.ts';
import { request, startTestServer, type TestServer } from './fixtures/net-harness.ts';

const MAX_BATCH = 100;
let s: TestServer;
/** A bystander gateway: must keep working whatever the others send. */
let bystander: GatewayClient;
const enc = new GatewayBatchEncoder(16);

beforeAll(async () => {
  s = await startTestServer({ engine: { maxBatch: MAX_BATCH, maxZones: 1000 }, net: { httpBodyLimitBytes: 2048 } });
  await request('POST', `${s.http}/v1/servers`, { id: 'gs-1' });
  bystander = await GatewayClient.connect(s.gatewayUrl);
});

afterAll(async () => {
  await bystander.close();
  await s.close();
});

let nextPlayer = 1;
async function stillWorks(g: GatewayClient): Promise<void> {
  const p = nextPlayer++;
  const a = await g.send(Uint8Array.of(Op.Join), Uint32Array.of(p), Uint32Array.of(1));
  expect(a.statuses[0]).toBe(Status.Ok);
}

function frame(seq: number, ops: number[], players: number[], zones: number[]): Uint8Array {
  return enc.encode(seq, ops.length, Uint8Array.from(ops), Uint32Array.from(players), Uint32Array.from(zones)).slice();
}

async function refusedWith(g: GatewayClient, seq: number, bytes: Uint8Array): Promise<GatewayError> {
  const e = await g.sendFrame(seq, bytes).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GatewayError);
  return e as GatewayError;
}

describe('gateway WebSocket', () => {
  it('answers a truncated frame with ZLB_ERR_MALFORMED_FRAME and keeps the connection', async () => {
    const g = await GatewayClient.connect(s.gatewayUrl);
    // seq 0: the ErrorReply carries 0 whether or not the seq could be read before the cut.
    const good = frame(0, [1, 1, 1, 1, 1], [1, 2, 3, 4, 5], [1, 1, 1, 1, 1]);
    for (const cut of [0, 3, 11, good.length - 20, good.length - 1]) {
      const err = await refusedWith(g, 0, good.subarray(0, cut));
      expect(err.code, `cut at ${cut}`).toMatch(/^ZLB_ERR_(MALFORMED_FRAME|BAD_IDENTIFIER)$/);
    }
    await stillWorks(g);
    await stillWorks(bystander);
    await g.close();
  });

  it('answers garbage frames (seeded fuzz) with an ErrorReply each, never crashing', async () => {
    const g = await GatewayClient.connect(s.gatewayUrl);
    const samples = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        // Right identifier, garbage elsewhere: exercises the table walker, not just the header check.
        fc.uint8Array({ minLength: 8, maxLength: 300 }).map((b) => {
          b.set([0x5a, 0x4c, 0x42, 0x31], 4);
          return b;
        }),
      ),
      { numRuns: 300, seed: 1234 },
    );
    let refused = 0;
    for (const bytes of samples) {
      // A garbage frame may by chance decode as a valid empty batch; it must then be answered.
      const outcome = await g.sendFrame(0, bytes).then(
        () => 'answered',
        (e: GatewayError) => e.code,
      );
      if (outcome !== 'answered') {
        expect(outcome).toMatch(/^ZLB_ERR_[A-Z_]+$/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(250);
    await stillWorks(g);
    await stillWorks(bystander);
    await g.close();
  });

  it('names the problem: identifier, message type, op code, batch size', async () => {
    const g = await GatewayClient.connect(s.gatewayUrl);
    const badId = frame(3, [1], [1], [1]);
    badId.set([0x58, 0x58, 0x58, 0x58], 4);
    expect((await refusedWith(g, 0, badId)).code).toBe('ZLB_ERR_BAD_IDENTIFIER');

    const report = encodeServerReport({ kind: ReportKind.Heartbeat, serverId: 'gs-1', cpu: 0.1, memory: 0.1, players: 0, weight: 0 });
    expect((await refusedWith(g, 0, report)).code).toBe('ZLB_ERR_WRONG_MESSAGE');

    const unknownOp = await refusedWith(g, 11, frame(11, [1, 9], [1, 2], [1, 1]));
    expect(unknownOp.code).toBe('ZLB_ERR_UNKNOWN_OP');
    expect(unknownOp.seq).toBe(11);
    expect(unknownOp.message).toContain('op 9');

    const n = MAX_BATCH + 1;
    const big = enc.encode(12, n, new Uint8Array(n).fill(Op.Join), new Uint32Array(n), new Uint32Array(n)).slice();
    const tooBig = await refusedWith(g, 12, big);
    expect(tooBig.code).toBe('ZLB_ERR_BATCH_TOO_LARGE');
    expect(tooBig.seq).toBe(12);
    expect(tooBig.message).toContain(`${MAX_BATCH}`);

    // Invalid values inside a well-formed batch are answered per request, not refused.
    const zoneOut = await g.send(Uint8Array.of(Op.Join), Uint32Array.of(nextPlayer++), Uint32Array.of(5000));
    expect(zoneOut.statuses[0]).toBe(Status.Invalid);
    await stillWorks(g);
    await g.close();
  });

  it('answers a text frame with ZLB_ERR_MALFORMED_FRAME', async () => {
    const raw = await WsClient.connect(s.gatewayUrl);
    const reply = new Promise<Uint8Array>((resolve) => {
      raw.onMessage = (d) => resolve(d);
    });
    raw.sendText('{"joins":[]}');
    const e = decodeErrorReply(await reply);
    expect(e.code).toBe('ZLB_ERR_MALFORMED_FRAME');
    expect(e.message).toContain('text frame');
    await raw.close();
  });

  it('closes a connection that sends a frame over maxPayloadLength with 1009; others keep working', async () => {
    const raw = await WsClient.connect(s.gatewayUrl);
    const closed = new Promise<number>((resolve) => {
      raw.onClose = (code) => resolve(code);
    });
    raw.send(new Uint8Array(MAX_BATCH * 12 + 4096));
    const code = await closed;
    // 1009 when the close frame arrives; 1006 if the socket was cut first.
    expect([1009, 1006]).toContain(code);
    await stillWorks(bystander);
  });
});

describe('HTTP API', () => {
  const cases: [string, string, string | object | undefined, number, string, string | null][] = [
    ['bad JSON', '/v1/join', '{"player": 1,', 400, 'ZLB_ERR_BAD_REQUEST', 'body'],
    ['empty body', '/v1/join', '', 400, 'ZLB_ERR_BAD_REQUEST', 'body'],
    ['JSON that is not an object', '/v1/join', '[1,2]', 400, 'ZLB_ERR_BAD_REQUEST', 'body'],
    ['unknown field', '/v1/join', { player: 1, zone: 2, zoneId: 3 }, 400, 'ZLB_ERR_BAD_REQUEST', 'zoneId'],
    ['wrong type', '/v1/join', { player: '1', zone: 2 }, 400, 'ZLB_ERR_BAD_REQUEST', 'player'],
    ['negative player', '/v1/move', { player: -1, zone: 2 }, 400, 'ZLB_ERR_BAD_REQUEST', 'player'],
    ['zone past maxZones', '/v1/join', { player: 1, zone: 1000 }, 400, 'ZLB_ERR_INVALID_ARGUMENT', 'zone'],
    ['unknown field in a batch entry', '/v1/join/batch', { joins: [{ player: 1, zone: 1, x: 1 }] }, 400, 'ZLB_ERR_BAD_REQUEST', 'joins.0.x'],
    ['missing field', '/v1/servers/gs-1/heartbeat', { cpu: 0.1, memory: 0.1 }, 400, 'ZLB_ERR_BAD_REQUEST', 'players'],
    ['load out of range', '/v1/servers/gs-1/heartbeat', { cpu: 1.5, memory: 0.1, players: 0 }, 400, 'ZLB_ERR_INVALID_ARGUMENT', 'cpu'],
    ['unknown server', '/v1/servers/nobody/heartbeat', { cpu: 0.1, memory: 0.1, players: 0 }, 404, 'ZLB_ERR_UNKNOWN_SERVER', 'serverId'],
    ['bad weight', '/v1/servers', { id: 'gs-x', weight: -1 }, 400, 'ZLB_ERR_INVALID_ARGUMENT', 'weight'],
    ['bad percent-encoding', '/v1/servers/%E0%A4%A/drain', {}, 400, 'ZLB_ERR_BAD_REQUEST', 'param0'],
    ['body over the limit', '/v1/join', 'x'.repeat(5000), 413, 'ZLB_ERR_PAYLOAD_TOO_LARGE', null],
  ];

  it.each(cases)('%s', async (_name, path, body, status, code, field) => {
    const r = await request('POST', `${s.http}${path}`, body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.field).toBe(field);
    expect(typeof r.body.error.message).toBe('string');
    expect(r.body.error.message.length).toBeGreaterThan(10);
    // The service keeps answering.
    expect((await request('GET', `${s.http}/healthz`)).status).toBe(200);
  });

  it('names the allowed fields when one is unknown', async () => {
    const r = await request('POST', `${s.http}/v1/join`, { player: 1, zoneId: 2 });
    expect(r.body.error.message).toBe('unknown field "zoneId"; expected only "player", "zone"');
  });
});
