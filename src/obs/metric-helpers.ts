/**
 * Small builders over prom-client for metrics read at scrape time. Nothing here is updated as
 * things happen: each collect() copies a figure the engine, the front end or the event
 * tracker already keeps, so no metric costs anything per join.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

type Labels = Record<string, string>;
type Fill = (set: (labels: Labels, value: number) => void) => void;

export interface RawSample {
  /** Set for the _sum and _count lines of a summary. */
  metricName?: string;
  labels: Labels;
  value: number;
}

/**
 * A metric family built from scratch at each scrape. prom-client's own classes always print a
 * sample for an unlabelled metric (0 after a reset), and its Summary would need every value
 * observed a second time; its registry only needs a name, a type and get().
 */
export function rawMetric(registry: Registry, name: string, help: string, type: 'gauge' | 'counter' | 'summary', read: () => RawSample[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => ({ name, help, type, aggregator: 'sum', values: read() }),
    reset: () => undefined,
  };
  // The typings admit only prom-client's classes; the registry reads name, get() and reset().
  registry.registerMetric(metric as never);
}

/** A gauge without labels, read at scrape time; undefined or NaN: no sample at all (not a 0). */
export function gaugeOf(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  rawMetric(registry, name, help, 'gauge', () => {
    const v = read();
    return v === undefined || Number.isNaN(v) ? [] : [{ labels: {}, value: v }];
  });
}

/** A gauge with a fixed value (a configured threshold or limit). */
export function constantGauge(registry: Registry, name: string, help: string, value: number): void {
  new Gauge({ name, help, registers: [registry] }).set(value);
}

/** A labelled gauge whose series are rebuilt at each scrape (series that went away disappear). */
export function labelledGauge(registry: Registry, name: string, help: string, labelNames: readonly string[], fill: Fill): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, value) => this.set(labels, value));
    },
  });
}

/** A counter copied from a running total kept elsewhere (which only ever grows). */
export function counterOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * A counter copied from a running total that exists only some of the time (kept by a part that
 * may be absent): no sample at all while `read` gives undefined.
 */
export function optionalCounterOf(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  rawMetric(registry, name, help, 'counter', () => {
    const v = read();
    return v === undefined ? [] : [{ labels: {}, value: v }];
  });
}

/** A labelled counter copied from running totals kept elsewhere. */
export function labelledCounter(registry: Registry, name: string, help: string, labelNames: readonly string[], fill: Fill): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, value) => this.inc(labels, value));
    },
  });
}
