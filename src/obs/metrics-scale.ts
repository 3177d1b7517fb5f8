import type { Registry } from 'prom-client';
import { gaugeOf, labelledGauge } from './metric-helpers.ts';
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
  on('zonelb_autoscaler_forecast_error_ratio', 'Weighted absolute error of the arrival forecast (0 = perfect)', (a) => a.forecastWape);
  on('zonelb_autoscaler_failing', '1 when the latest scaling action failed (provider or engine error), else 0', (a) => (a.lastError === undefined ? 0 : 1));
}
