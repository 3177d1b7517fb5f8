import type { Registry } from 'prom-client';
import type { ForecastStatus } from '../scale/scale-controller.ts';
import { gaugeOf, labelledGauge, optionalCounterOf } from './metric-helpers.ts';
import type { AutoscaleView, ScaleView } from './scale-view.ts';

const MODES = ['off', 'reactive', 'predictive'] as const;

/**
 * The autoscaler: capacity wanted against capacity active (weight units), what is booting and
 * draining, the demand it decided on. No series before its first decision: a 0 would read as
 * "wants nothing".
 */
export function registerScaleMetrics(registry: Registry, scale: ScaleView): void {
  const on = (name: string, help: string, read: (a: Exclude<AutoscaleView, { mode: 'off' }>) => number | undefined): void => {
    gaugeOf(registry, name, help, () => {
      const a = scale.autoscale();
      return a === undefined || a.mode === 'off' ? undefined : read(a);
    });
  };
  labelledGauge(registry, 'zonelb_autoscaler_mode', 'Autoscaler mode: 1 for the mode in force (off, reactive, predictive)', ['mode'], (set) => {
    const a = scale.autoscale();
    if (a === undefined) return;
    for (const mode of MODES) set({ mode }, a.mode === mode ? 1 : 0);
  });
  on('zonelb_autoscaler_desired_capacity', 'Fleet capacity the autoscaler wants (weight units)', (a) => a.desired);
  on('zonelb_autoscaler_actual_capacity', 'Fleet capacity active when the autoscaler last decided (weight units)', (a) => a.actual);
  on('zonelb_autoscaler_pending_capacity', 'Capacity asked for and not registered yet: booting (weight units)', (a) => a.pending);
  on('zonelb_autoscaler_draining_capacity', 'Capacity being drained for scale-in (weight units)', (a) => a.draining);
  on('zonelb_autoscaler_demand_seats', 'Seats wanted when the autoscaler last decided: players, reserved seats and the queue', (a) => a.demand);
  on('zonelb_autoscaler_utilisation_ratio', 'Seats taken over seats active when the autoscaler last decided', (a) => a.utilisation);
  on('zonelb_autoscaler_failing', '1 when the latest scaling action failed (provider or engine error), else 0', (a) => (a.lastError === undefined ? 0 : 1));
  on('zonelb_autoscaler_forecast_peak_players', 'Peak population the arrival forecast projects over the boot delay, when the last decision used it', (a) => a.forecastPeak);
  registerForecastMetrics(registry, scale);
}

/**
 * The predictive autoscaler's arrival forecast and how wrong it has been: series only with a
 * predictive controller connected, and the error only once a forecast has been scored (a 0
 * would read as "perfect"). Arrivals are counted per forecast bucket.
 */
function registerForecastMetrics(registry: Registry, scale: ScaleView): void {
  const f = (name: string, help: string, read: (x: ForecastStatus) => number | undefined): void => {
    gaugeOf(registry, name, help, () => {
      const x = scale.forecast();
      return x === undefined ? undefined : read(x);
    });
  };
  const scored = (x: ForecastStatus): boolean => x.error.scored > 0;
  f('zonelb_autoscaler_forecast_ready', '1 once the forecast has two seasons of history and the predictive policy acts on it, else 0', (x) => (x.ready ? 1 : 0));
  f('zonelb_autoscaler_forecast_history_buckets', 'Buckets of arrival history the forecast has seen', (x) => x.buckets);
  f('zonelb_autoscaler_forecast_required_history_buckets', 'Buckets of history the forecast needs before it is used (two seasons)', (x) => x.bucketsNeeded);
  f('zonelb_autoscaler_forecast_bucket_seconds', 'Width of a forecast bucket', (x) => x.bucketMs / 1000);
  f('zonelb_autoscaler_forecast_horizon_seconds', 'How far ahead the forecasts scored for error were made', (x) => (x.error.horizon * x.bucketMs) / 1000);
  f('zonelb_autoscaler_forecast_arrivals', 'Arrivals the forecast expects over the next bucket, whole world', (x) => x.nextBucketArrivals);
  labelledGauge(registry, 'zonelb_autoscaler_forecast_zone_arrivals', 'Arrivals the forecast expects over the next bucket, for each zone with a forecast of its own', ['zone'], (set) => {
    for (const z of scale.forecast()?.zones ?? []) if (z.nextBucketArrivals !== undefined) set({ zone: String(z.zone) }, z.nextBucketArrivals);
  });
  f('zonelb_autoscaler_forecast_mean_session_seconds', 'Mean session length by Little\'s law (population over arrival rate)', (x) => (x.meanSessionMs === null ? undefined : x.meanSessionMs / 1000));
  f('zonelb_autoscaler_forecast_error_ratio', 'Weighted absolute error of the arrival forecast: absolute error over actual arrivals, smoothed (0 = perfect)', (x) => (scored(x) ? x.error.wape : undefined));
  f('zonelb_autoscaler_forecast_absolute_error_arrivals', 'Mean absolute error of the arrival forecast, in arrivals per bucket, smoothed', (x) => (scored(x) ? x.error.mae : undefined));
  f('zonelb_autoscaler_forecast_last_forecast_arrivals', 'The latest scored forecast: arrivals it expected in its bucket', (x) => (scored(x) ? x.error.lastForecast : undefined));
  f('zonelb_autoscaler_forecast_last_actual_arrivals', 'The latest scored forecast: arrivals that came in its bucket', (x) => (scored(x) ? x.error.lastActual : undefined));
  optionalCounterOf(registry, 'zonelb_autoscaler_forecast_scored_total', 'Forecasts scored against the arrivals that came', () => scale.forecast()?.error.scored);
}
