/**
 * The predictive policy: the reactive policy fed with the demand expected over the next boot
 * delay instead of the demand now. The arrival forecast (Holt-Winters, daily season) projects
 * the population over the horizon; the peak of that projection, when higher than today's
 * demand, is what the fleet must be ready for when servers asked for now have booted. Until the
 * forecaster has two seasons of history it is the reactive policy unchanged (mode "reactive").
 * Sharing the reactive policy keeps one set of bounds, cooldowns and hysteresis.
 */
import type { ArrivalForecaster } from './arrival-forecaster.ts';
import type { ForecastErrorSnapshot } from './forecast-error.ts';
import type { ReactiveScaler, ScaleInput, ScaleVerdict } from './reactive-scaler.ts';

export type ScaleMode = 'reactive' | 'predictive';

export interface PolicyVerdict extends ScaleVerdict {
  mode: ScaleMode;
  /** Demand the decision was made for (seats). */
  demandUsed: number;
  /** The forecast peak population over the horizon, when the forecast was used. */
  forecastPeak: number | undefined;
}

export interface ScalePolicy {
  readonly kind: ScaleMode;
  /** `population` is the players placed now (the forecast's starting point). */
  decide(input: ScaleInput, population: number): PolicyVerdict;
  forecastError(): ForecastErrorSnapshot | undefined;
}

export class ReactivePolicy implements ScalePolicy {
  readonly kind = 'reactive' as const;
  constructor(private readonly reactive: ReactiveScaler) {}

  decide(input: ScaleInput): PolicyVerdict {
    return { ...this.reactive.decide(input), mode: 'reactive', demandUsed: input.demand, forecastPeak: undefined };
  }

  forecastError(): undefined {
    return undefined;
  }
}

export class PredictivePolicy implements ScalePolicy {
  readonly kind = 'predictive' as const;
  constructor(
    private readonly reactive: ReactiveScaler,
    readonly forecaster: ArrivalForecaster,
  ) {}

  decide(input: ScaleInput, population: number): PolicyVerdict {
    if (!this.forecaster.ready) {
      const v = this.reactive.decide(input);
      const have = this.forecaster.buckets;
      const need = 2 * this.forecaster.season;
      return { ...v, mode: 'reactive', demandUsed: input.demand, forecastPeak: undefined, reason: `${v.reason} (forecast history ${have}/${need} buckets)` };
    }
    const outlook = this.forecaster.outlook(population, input.now);
    // Queued players are demand the population does not show yet.
    const queued = Math.max(0, input.demand - population);
    const predicted = outlook.peak + queued;
    const demandUsed = Math.max(input.demand, predicted);
    const v = this.reactive.decide({ ...input, demand: demandUsed });
    const ahead = Math.round(this.forecaster.horizonMs / 1000);
    const reason = predicted > input.demand ? `${v.reason}; forecast peak ${Math.round(outlook.peak)} players within ${ahead}s` : v.reason;
    return { ...v, mode: 'predictive', demandUsed, forecastPeak: outlook.peak, reason };
  }

  forecastError(): ForecastErrorSnapshot {
    return this.forecaster.forecastError();
  }
}
