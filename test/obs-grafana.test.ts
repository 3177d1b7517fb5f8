/**
 * deploy/grafana/zonelb.json: an importable dashboard (datasource as an input), whose every
 * query reads metrics a running zonelb exports, parses as PromQL (promtool), and which shows
 * each figure issue 6 lists.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isExported, metricsIn, promtoolOrSkip, runPromtool, scrape, startObserved, type ObservedServer } from './fixtures/obs-harness.ts';

interface Target {
  expr: string;
  datasource: { uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Target[];
  gridPos: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  __inputs: { name: string; pluginId: string }[];
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
  annotations: { list: { expr?: string }[] };
}

const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/zonelb.json', import.meta.url), 'utf8')) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const queries = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
  ...dashboard.annotations.list.filter((a) => a.expr).map((a) => ({ where: 'annotation', expr: a.expr! })),
];
const variableQueries = dashboard.templating.list.map((v) => ({ where: `variable ${v.name}`, expr: v.query.query }));

/** Grafana's variables replaced by values PromQL accepts. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replace(/\$(job|instance|server)\b/g, '.*');
}

describe('Grafana dashboard', () => {
  let running: ObservedServer;
  beforeAll(async () => {
    running = await startObserved({ runtime: { autoTick: false } });
  });
  afterAll(() => running.close());

  it('imports with its Prometheus datasource as an input, panels with unique ids', () => {
    expect(dashboard.uid).toBe('zonelb-overview');
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(panels.length).toBeGreaterThan(20);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource.uid, p.title).toBe('${DS_PROMETHEUS}');
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('queries only metrics a running zonelb exports', async () => {
    const { types } = await scrape(running.http);
    const unknown: string[] = [];
    for (const q of [...queries, ...variableQueries]) {
      const used = metricsIn(q.expr);
      expect(used.length, `${q.where}: ${q.expr}`).toBeGreaterThan(0);
      for (const name of used) if (!isExported(types, name)) unknown.push(`${q.where}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });

  it('shows every figure issue 6 asks for', () => {
    const shown = new Set(queries.flatMap((q) => metricsIn(q.expr)));
    const wanted = [
      'zonelb_assignments_total',
      'zonelb_decision_latency_seconds',
      'zonelb_gateway_batch_latency_seconds',
      'zonelb_server_players',
      'zonelb_server_admission_limit',
      'zonelb_server_cpu_ratio',
      'zonelb_cpu_threshold_ratio',
      'zonelb_server_memory_ratio',
      'zonelb_memory_threshold_ratio',
      'zonelb_servers',
      'zonelb_zones_split',
      'zonelb_split_zone_servers',
      'zonelb_hot_zones',
      'zonelb_hot_zone_join_rate',
      'zonelb_failures_detected_total',
      'zonelb_players_replaced_total',
      'zonelb_queue_players',
      'zonelb_autoscaler_desired_capacity',
      'zonelb_autoscaler_actual_capacity',
      'zonelb_shard_batch_requests_total',
      'zonelb_shard_batches_total',
      'zonelb_shard_busy_seconds_total',
      'zonelb_shard_inflight_batch_age_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      // Issue 5: the predictive autoscaler's forecast and its error.
      'zonelb_autoscaler_forecast_arrivals',
      'zonelb_autoscaler_forecast_error_ratio',
    ];
    expect(wanted.filter((m) => !shown.has(m))).toEqual([]);
  });

  it('has queries that parse as PromQL (promtool)', (ctx) => {
    const bin = promtoolOrSkip(ctx);
    if (!bin) return;
    // Each query as a recording rule: `promtool check rules` parses every expression.
    const rules = queries.map((q, i) => ({ record: `grafana:query_${i}`, expr: concrete(q.expr) }));
    const dir = mkdtempSync(join(tmpdir(), 'zonelb-grafana-'));
    try {
      const file = join(dir, 'queries.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'grafana', rules }] }));
      const r = runPromtool(bin, ['check', 'rules', file]);
      expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
