/**
 * The webhook provider against a real HTTP server on loopback: it POSTs the desired count as
 * JSON, retries network errors, timeouts and 5xx with backoff, does not retry other 4xx, and
 * after the last attempt fails with ZLB_ERR_SCALE_WEBHOOK_FAILED naming the URL, the attempts
 * and the last error. Capacity it asked for counts as pending until it registers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ZonelbError } from '../src/core/errors.ts';
import { WebhookProvider } from '../src/scale/webhook-provider.ts';
import type { ScaleOutRequest } from '../src/scale/provider.ts';

interface Received {
  method: string;
  contentType: string | undefined;
  body: unknown;
}

/** A loopback HTTP server answering each request with the next status of `statuses` (the last one repeats); 0 = never answer. */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === 0) return; // hang: the client's timeout fires
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/scale`, received, server };
}

const REQ: ScaleOutRequest = { at: 1000, add: 2, desired: 6, actual: 4, mode: 'reactive', reason: 'utilisation 90% above 80%' };

describe('WebhookProvider', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  /** Backoffs are recorded, not slept: the test stays fast and shows the schedule. */
  function provider(url: string, attempts: number, timeoutMs = 5000) {
    const slept: number[] = [];
    const p = new WebhookProvider({
      url,
      attempts,
      backoffMs: 100,
      timeoutMs,
      pendingExpireMs: 120_000,
      sleep: async (ms) => {
        slept.push(ms);
      },
      random: () => 1, // full jitter at its top: backoff × 1
    });
    return { p, slept };
  }

  it('POSTs the desired count as JSON, retrying 5xx until one succeeds', async () => {
    const r = await receiver([503, 500, 200]);
    server = r.server;
    const { p, slept } = provider(r.url, 5);
    await p.scaleOut(REQ);
    expect(r.received).toHaveLength(3);
    for (const got of r.received) {
      expect(got.method).toBe('POST');
      expect(got.contentType).toBe('application/json');
      expect(got.body).toEqual({ type: 'scale-out', at: 1000, desired: 6, actual: 4, add: 2, mode: 'reactive', reason: REQ.reason });
    }
    expect(p.lastAttempts).toBe(3);
    expect(slept).toEqual([100, 200]); // doubling backoff between attempts
    expect(p.desired()).toBe(6);
  });

  it('fails with ZLB_ERR_SCALE_WEBHOOK_FAILED after the last retry', async () => {
    const r = await receiver([502]);
    server = r.server;
    const { p, slept } = provider(r.url, 4);
    const err = await p.scaleOut(REQ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ZonelbError);
    expect(err).toMatchObject({ code: ErrorCode.ScaleWebhookFailed, field: 'scale.webhook' });
    expect((err as Error).message).toContain(r.url);
    expect((err as Error).message).toContain('4 attempt(s): HTTP 502');
    expect(r.received).toHaveLength(4);
    expect(slept).toEqual([100, 200, 400]);
    // A failed request is not counted as booting capacity.
    expect(p.pending(2000, { units: 4, ids: new Set() })).toBe(0);
  });

  it('does not retry a 4xx other than 408 and 429: the body is wrong, sending it again will not help', async () => {
    const r = await receiver([400]);
    server = r.server;
    const { p } = provider(r.url, 5);
    await expect(p.release('gs-7', 5000)).rejects.toMatchObject({ code: ErrorCode.ScaleWebhookFailed });
    expect(r.received).toEqual([{ method: 'POST', contentType: 'application/json', body: { type: 'release', at: 5000, serverId: 'gs-7' } }]);
  });

  it('retries 429 and an attempt that times out', async () => {
    const r = await receiver([429, 0, 204]);
    server = r.server;
    const { p } = provider(r.url, 3, 200);
    await p.scaleOut(REQ);
    expect(r.received).toHaveLength(3);
  });

  it('retries a refused connection, then fails naming the network error', async () => {
    // A port that was just free: nothing listens there.
    const r = await receiver([200]);
    const url = r.url;
    await new Promise((res) => r.server.close(res));
    const { p } = provider(url, 2);
    const err = (await p.scaleOut(REQ).catch((e: unknown) => e)) as ZonelbError;
    expect(err.code).toBe(ErrorCode.ScaleWebhookFailed);
    expect(err.message).toContain('2 attempt(s)');
    expect(err.cause).toBeDefined();
  });

  it('counts capacity it asked for as pending until that much has registered', async () => {
    const r = await receiver([200]);
    server = r.server;
    const { p } = provider(r.url, 1);
    expect(p.pending(0, { units: 4, ids: new Set() })).toBe(0);
    await p.scaleOut(REQ);
    expect(p.pending(1000, { units: 4, ids: new Set() })).toBe(2);
    expect(p.pending(2000, { units: 5, ids: new Set() })).toBe(1);
    expect(p.pending(3000, { units: 6, ids: new Set() })).toBe(0);
  });

  it('counts new servers by id: one drained and removed while others boot does not hide them', async () => {
    const r = await receiver([200]);
    server = r.server;
    const { p } = provider(r.url, 1);
    const fleet = (ids: string[]) => ({ units: ids.length, ids: new Set(ids), weights: new Map(ids.map((id) => [id, 1])) });
    p.pending(0, fleet(['a', 'b', 'c', 'd']));
    await p.scaleOut(REQ); // 2 more
    // d was drained and removed, e registered: one of the two has arrived, whatever the total says.
    expect(p.pending(1000, fleet(['a', 'b', 'c', 'e']))).toBe(1);
    expect(p.pending(2000, fleet(['a', 'b', 'e', 'f']))).toBe(0);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new WebhookProvider({ url: 'ftp://example/scale', pendingExpireMs: 1 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
  });
});
