/**
 * GET /metrics with a predictive ScaleController connected: the arrival forecast (arrivals
 * expected over the next bucket, for the world and the zones with a model of their own, the
 * peak population the last decision was made for, the session length) and its error (WAPE,
 * mean absolute error, the last scored pair, how many were scored, how far ahead) agree with
 * the controller's status, and `promtool check metrics` accepts the output. Reactive mode
 * exports none of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScaleController } from '../src/scale/scale-controller.ts';
import { resolveScaleOptions } from '../src/scale/scale-options.ts';
import { promtoolOrSkip, runPromtool, scrape, startObserved, type ObservedServer } from './fixtures/obs-harness.ts';

const ENGINE = { reconnectMs: 0, limits: { playersPerServer: 50 } };

let running: ObservedServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A service whose controller (predictive: a "day" of 10 one-second buckets) has seen `seconds` of arrivals on its virtual clock. */
async function withForecast(seconds: number, mode: 'predictive' | 'reactive' = 'predictive'): Promise<{ m: Awaited<ReturnType<typeof scrape>>; controller: ScaleController; text: string }> {
  const scale: { controller?: ScaleController } = {};
  running = await startObserved({ engine: ENGINE, obs: { scaleStatus: () => scale.controller?.status() }, runtime: { autoTick: false } });
  const { engine, http } = running;
  for (const id of ['gs-1', 'gs-2']) engine.registerServer({ id });
  const controller = new ScaleController({
    engine,
    engineOptions: engine.options,
    options: resolveScaleOptions({ mode, min: 1, max: 10, intervalMs: 1000, bootDelayMs: 1000, forecast: { bucketMs: 1000, seasonMs: 10_000 }, hotZones: { enabled: false } }),
  });
  scale.controller = controller;
  // Zone 1 gets ten joins a second in the first half of each "day" and five in the second (busy
  // enough for a forecast of its own), zone 2 two a second; each player stays 4 s.
  let next = 0;
  const leaving: { at: number; player: number }[] = [];
  for (let t = 0; t <= seconds; t++) {
    while (leaving.length > 0 && leaving[0]!.at <= t) await engine.leave(leaving.shift()!.player);
    const zones = [...new Array<number>(t % 10 < 5 ? 10 : 5).fill(1), 2, 2];
    for (const zone of zones) {
      const p = next++;
      await engine.join(p, zone);
      leaving.push({ at: t + 4, player: p });
    }
    await controller.step(t * 1000);
  }
  const m = await scrape(http);
  return { m, controller, text: m.text };
}

describe('GET /metrics: the arrival forecast', () => {
  it('exports the forecast and its error as the predictive controller has them', async () => {
    const { m, controller } = await withForecast(40);
    const f = controller.status().forecast!;
    const a = controller.status().autoscale as { forecastPeak: number | undefined };
    expect(f.ready).toBe(true);
    expect(f.error.scored).toBeGreaterThan(0);
    expect(m.value('zonelb_autoscaler_forecast_ready')).toBe(1);
    expect(m.value('zonelb_autoscaler_forecast_history_buckets')).toBe(f.buckets);
    expect(m.value('zonelb_autoscaler_forecast_required_history_buckets')).toBe(20);
    expect(m.value('zonelb_autoscaler_forecast_bucket_seconds')).toBe(1);
    expect(m.value('zonelb_autoscaler_forecast_horizon_seconds')).toBe(f.error.horizon);
    expect(m.value('zonelb_autoscaler_forecast_arrivals')).toBeCloseTo(f.nextBucketArrivals, 6);
    expect(f.zones.map((z) => z.zone)).toEqual([1]);
    expect(m.all('zonelb_autoscaler_forecast_zone_arrivals').map((x) => x.labels.zone)).toEqual(['1']);
    expect(m.value('zonelb_autoscaler_forecast_zone_arrivals', { zone: '1' })).toBeCloseTo(f.zones[0]!.nextBucketArrivals!, 6);
    expect(a.forecastPeak).toBeDefined();
    expect(m.value('zonelb_autoscaler_forecast_peak_players')).toBeCloseTo(a.forecastPeak!, 6);
    expect(m.value('zonelb_autoscaler_forecast_mean_session_seconds')).toBeCloseTo(f.meanSessionMs! / 1000, 6);
    expect(m.value('zonelb_autoscaler_forecast_error_ratio')).toBeCloseTo(f.error.wape, 6);
    expect(m.value('zonelb_autoscaler_forecast_absolute_error_arrivals')).toBeCloseTo(f.error.mae, 6);
    expect(m.value('zonelb_autoscaler_forecast_last_forecast_arrivals')).toBeCloseTo(f.error.lastForecast, 6);
    expect(m.value('zonelb_autoscaler_forecast_last_actual_arrivals')).toBe(f.error.lastActual);
    expect(m.types.get('zonelb_autoscaler_forecast_scored_total')).toBe('counter');
    expect(m.value('zonelb_autoscaler_forecast_scored_total')).toBe(f.error.scored);
  });

  it('says the forecast is not ready, with no error yet, while history is short', async () => {
    const { m } = await withForecast(5);
    expect(m.value('zonelb_autoscaler_forecast_ready')).toBe(0);
    expect(m.value('zonelb_autoscaler_forecast_history_buckets')).toBeLessThan(20);
    expect(m.value('zonelb_autoscaler_forecast_scored_total')).toBe(0);
    // No scored forecast: no error to show (not a 0 that would read as "perfect").
    expect(m.all('zonelb_autoscaler_forecast_error_ratio')).toEqual([]);
    expect(m.all('zonelb_autoscaler_forecast_absolute_error_arrivals')).toEqual([]);
  });

  it('exports no forecast in reactive mode', async () => {
    const { m } = await withForecast(3, 'reactive');
    for (const name of ['zonelb_autoscaler_forecast_ready', 'zonelb_autoscaler_forecast_arrivals', 'zonelb_autoscaler_forecast_error_ratio', 'zonelb_autoscaler_forecast_scored_total']) {
      expect(m.all(name), name).toEqual([]);
    }
  });

  it('passes promtool check metrics', async (ctx) => {
    const bin = promtoolOrSkip(ctx);
    if (!bin) return;
    const { text } = await withForecast(30);
    expect(text).toContain('zonelb_autoscaler_forecast_scored_total');
    const r = runPromtool(bin, ['check', 'metrics'], text);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });
});
