/**
 * deploy/prometheus/alerts.yml: `promtool check rules` accepts it, `promtool test rules` runs
 * its unit tests (alerts.test.yml) green, the example prometheus.yml loads it, every rule has a case where it fires and one where
 * it must not, and every metric a rule reads is one a running zonelb exports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isExported, metricsIn, promtoolOrSkip, runPromtool, scrape, startObserved, type ObservedServer } from './fixtures/obs-harness.ts';

const DIR = fileURLToPath(new URL('../deploy/prometheus/', import.meta.url));
const RULES = `${DIR}alerts.yml`;
const TESTS = `${DIR}alerts.test.yml`;

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}
interface RuleTest {
  alert_rule_test: { alertname: string; exp_alerts?: unknown[] }[];
}

const rules: Rule[] = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const tests: RuleTest[] = (parse(readFileSync(TESTS, 'utf8')) as { tests: RuleTest[] }).tests;

describe('alert rules', () => {
  it('pass promtool check rules and promtool test rules', (ctx) => {
    const bin = promtoolOrSkip(ctx);
    if (!bin) return;
    const check = runPromtool(bin, ['check', 'rules', RULES]);
    expect(check.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status).toBe(0);
    const unit = runPromtool(bin, ['test', 'rules', TESTS]);
    expect(unit.out).toContain('SUCCESS');
    expect(unit.status).toBe(0);
    // The example configuration that scrapes zonelb and loads these rules.
    const config = runPromtool(bin, ['check', 'config', `${DIR}prometheus.yml`]);
    expect(config.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(config.status).toBe(0);
  });

  it('cover what issue 6 asks for, each with a severity, a summary and a description', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const wanted of ['ZonelbServerCpuOverThreshold', 'ZonelbServerMemoryOverThreshold', 'ZonelbQueueGrowing', 'ZonelbHotZone', 'ZonelbServersFailing', 'ZonelbShardStalled', 'ZonelbDecisionLatencyHigh']) {
      expect(names).toContain(wanted);
    }
    for (const r of rules) {
      expect(['page', 'ticket'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
  });

  it('are each unit-tested firing and silent', () => {
    const cases = tests.flatMap((t) => t.alert_rule_test);
    for (const r of rules) {
      const mine = cases.filter((c) => c.alertname === r.alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${r.alert} fires in some test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${r.alert} stays silent in some test`).toBe(true);
    }
    for (const c of cases) expect(rules.map((r) => r.alert), `test of unknown alert ${c.alertname}`).toContain(c.alertname);
  });

  describe('read metrics a running zonelb exports', () => {
    let running: ObservedServer;
    beforeAll(async () => {
      running = await startObserved({ runtime: { autoTick: false } });
    });
    afterAll(() => running.close());

    it('every one of them', async () => {
      const { types } = await scrape(running.http);
      for (const r of rules) {
        const used = metricsIn(r.expr);
        if (r.alert !== 'ZonelbDown') expect(used.length, r.alert).toBeGreaterThan(0);
        for (const name of used) expect(isExported(types, name), `${r.alert} reads ${name}`).toBe(true);
      }
    });
  });
});
