/**
 * The Agones FleetAutoscaler webhook (POST /v1/autoscale/agones) and the scaling status
 * (GET /v1/scale), over HTTP on loopback. The request is a FleetAutoscaleReview as Agones
 * marshals it (autoscaling.agones.dev/v1: `request` with uid, name, namespace and the fleet's
 * status; `response` null), as in Agones' webhook documentation and its example fleet of 100
 * replicas with 70 allocated; the answer is the same review with `response` {uid, scale,
 * replicas}.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AGONES_WEBHOOK_PATH, SCALE_STATUS_PATH, scaling } from '../src/scale/scale-extension.ts';
import type { ScaleController } from '../src/scale/scale-controller.ts';
import { resolveScaleOptions, type ScaleOptionsInput } from '../src/scale/scale-options.ts';
import { request, startTestServer, type TestServer } from './fixtures/net-harness.ts';

/** Agones' documented example: a fleet of 100 replicas, 70 of them allocated. */
function documentedReview(status: Partial<Record<'replicas' | 'readyReplicas' | 'reservedReplicas' | 'allocatedReplicas', number>> = {}) {
  return {
    request: {
      uid: '6d03eae4-05e8-11e9-84c2-42010a8a01c9',
      name: 'simple-game-server',
      namespace: 'default',
      status: { replicas: 100, readyReplicas: 30, reservedReplicas: 0, allocatedReplicas: 70, ...status },
    },
    response: null,
  };
}

/** Timers far off: the test steps the controller itself, on its own clock. */
const QUIET = { intervalMs: 3_600_000, hotZones: { sampleMs: 3_600_000 } } satisfies ScaleOptionsInput;

describe('Agones FleetAutoscaler webhook and GET /v1/scale', () => {
  let z: TestServer | undefined;
  let controller: ScaleController | undefined;
  afterEach(async () => {
    await z?.close();
    z = undefined;
  });

  async function start(scale: ScaleOptionsInput, playersPerServer = 10): Promise<TestServer> {
    z = await startTestServer({
      // No cold-start ramp: each server's cap is its limit from registration on.
      engine: { limits: { playersPerServer }, admission: { coldStart: 1 } },
      extensions: [scaling(resolveScaleOptions({ ...QUIET, ...scale }), { onController: (c) => (controller = c) })],
    });
    return z;
  }

  it('answers the documented example with the same review and response {uid, scale: false, replicas} while the autoscaler is off', async () => {
    const s = await start({ mode: 'off' });
    const review = documentedReview();
    const r = await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, review);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    // Agones' shape exactly: the request echoed, the response filled in, nothing else.
    expect(r.body).toEqual({ request: review.request, response: { uid: review.request.uid, scale: false, replicas: 100 } });
    expect(Object.keys(r.body.response).sort()).toEqual(['replicas', 'scale', 'uid']);
  });

  it('answers the replicas the autoscaler wants, never fewer than Agones will keep anyway', async () => {
    const s = await start({ mode: 'reactive', min: 1, max: 50, target: 0.7, band: 0.1, bootDelayMs: 60_000 });
    // 2 servers of 10 seats, 18 players: 90 % used, 26 seats wanted at 70 % → 3 servers.
    for (const id of ['gs-1', 'gs-2']) s.engine.registerServer({ id });
    for (let p = 0; p < 18; p++) await s.engine.join(p, p % 4);
    await controller!.step(0);
    expect(controller!.autoscaler!.status()).toMatchObject({ direction: 'out', desired: 3, actual: 2, pending: 0 });

    const review = documentedReview({ replicas: 2, readyReplicas: 0, allocatedReplicas: 2 });
    const r = await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, review);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ request: review.request, response: { uid: review.request.uid, scale: true, replicas: 3 } });

    // Agones' own fleet has 5 allocated game servers: it will not delete them, so 5 it is.
    const busy = documentedReview({ replicas: 6, readyReplicas: 1, allocatedReplicas: 5 });
    expect((await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, busy)).body.response).toEqual({ uid: busy.request.uid, scale: true, replicas: 5 });
    // Already at the target: scale false.
    const same = documentedReview({ replicas: 3, readyReplicas: 1, allocatedReplicas: 2 });
    expect((await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, same)).body.response).toEqual({ uid: same.request.uid, scale: false, replicas: 3 });
  });

  it('keeps fields newer Agones versions add (players, counters, lists, labels) and still answers', async () => {
    const s = await start({ mode: 'off' });
    const review = documentedReview();
    const newer = {
      ...review,
      request: {
        ...review.request,
        labels: { team: 'eu' },
        status: { ...review.request.status, players: { count: 400, capacity: 1000 }, counters: {}, lists: {} },
      },
    };
    const r = await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, newer);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...newer, response: { uid: review.request.uid, scale: false, replicas: 100 } });
  });

  it('answers 400 ZLB_ERR_BAD_REQUEST naming the field when the body is not a FleetAutoscaleReview', async () => {
    const s = await start({ mode: 'off' });
    const noUid = documentedReview();
    (noUid.request as Partial<typeof noUid.request>).uid = undefined;
    let r = await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, noUid);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'ZLB_ERR_BAD_REQUEST', field: 'request.uid' } });
    r = await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, { request: { ...documentedReview().request, status: { replicas: -1 } } });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('request.status.replicas');
    r = await request('POST', `${s.http}${AGONES_WEBHOOK_PATH}`, 'not json');
    expect(r.status).toBe(400);
  });

  it('shows the options and the last decision at GET /v1/scale, the webhook URL without its credentials', async () => {
    const s = await start({ mode: 'reactive', webhook: 'https://user:secret@ops.example/scale?token=abc' });
    let r = await request('GET', `${s.http}${SCALE_STATUS_PATH}`);
    expect(r.status).toBe(200);
    expect(r.body.options).toMatchObject({ mode: 'reactive', provider: 'webhook', webhook: 'https://ops.example/scale' });
    expect(JSON.stringify(r.body)).not.toContain('secret');
    expect(r.body.autoscale).toBeUndefined(); // no decision yet
    expect(r.body.hotZones).toEqual([]);
    expect(r.body.zoneSampling).toBe('on');

    s.engine.registerServer({ id: 'gs-1' });
    await s.engine.join(1, 1);
    await controller!.step(0);
    r = await request('GET', `${s.http}${SCALE_STATUS_PATH}`);
    expect(r.body.autoscale).toMatchObject({ mode: 'reactive', actual: 1, demand: 1, direction: 'hold' });
  });
});
