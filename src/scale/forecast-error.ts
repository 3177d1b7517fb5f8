/**
 * How wrong the forecast made `horizon` buckets ago turned out to be: each bucket the caller
 * records the forecast for `horizon` buckets ahead, and when that bucket's actual value comes
 * in the two are compared. Exported as the mean absolute error and as WAPE (absolute error over
 * actual volume, which stays defined when a bucket's actual value is zero), both smoothed.
 */
import { invalidArgument } from '../core/errors.ts';

export interface ForecastErrorSnapshot {
  /** Buckets ahead each scored forecast was made. */
  horizon: number;
  /** Forecasts scored so far. */
  scored: number;
  /** Smoothed mean absolute error, in the series' unit. */
  mae: number;
  /** Smoothed absolute error / smoothed actual (0 = perfect; 0.1 = off by 10 %). */
  wape: number;
  /** The last scored pair. */
  lastForecast: number;
  lastActual: number;
}

export class ForecastError {
  readonly horizon: number;
  private readonly pending: Float64Array;
  private readonly has: Uint8Array;
  private readonly smoothing: number;
  private n = 0;
  private scored = 0;
  private absErr = 0;
  private actual = 0;
  private lastForecast = 0;
  private lastActual = 0;

  /** `smoothing` is the EWMA weight of each new scored pair. */
  constructor(horizon: number, smoothing = 0.05) {
    if (!Number.isInteger(horizon) || horizon < 1) throw invalidArgument('horizon', horizon, 'an integer ≥ 1');
    this.horizon = horizon;
    this.pending = new Float64Array(horizon + 1);
    this.has = new Uint8Array(horizon + 1);
    this.smoothing = smoothing;
  }

  /**
   * Call once per bucket, in order: the bucket's actual value, then (when there is one) the
   * forecast made now for `horizon` buckets ahead.
   */
  record(actual: number, forecastAhead: number | undefined): void {
    const slot = this.n % (this.horizon + 1);
    if (this.has[slot] === 1) this.score(this.pending[slot]!, actual);
    const target = (this.n + this.horizon) % (this.horizon + 1);
    if (forecastAhead === undefined) this.has[target] = 0;
    else {
      this.pending[target] = forecastAhead;
      this.has[target] = 1;
    }
    this.n++;
  }

  private score(forecast: number, actual: number): void {
    const w = this.scored === 0 ? 1 : Math.max(this.smoothing, 1 / (this.scored + 1));
    this.absErr += w * (Math.abs(forecast - actual) - this.absErr);
    this.actual += w * (Math.abs(actual) - this.actual);
    this.lastForecast = forecast;
    this.lastActual = actual;
    this.scored++;
  }

  snapshot(): ForecastErrorSnapshot {
    return {
      horizon: this.horizon,
      scored: this.scored,
      mae: this.absErr,
      wape: this.actual > 0 ? this.absErr / this.actual : this.scored > 0 && this.absErr > 0 ? Infinity : 0,
      lastForecast: this.lastForecast,
      lastActual: this.lastActual,
    };
  }
}
