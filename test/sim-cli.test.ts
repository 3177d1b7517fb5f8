/**
 * `zonelb sim` on the command line: --list, --help, flag errors (exit 2, naming the flag),
 * scenario errors (exit 1, naming the field), and a run through the worker pool that writes
 * the report and prints the table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSimArgs } from '../src/cli/sim.ts';
import { UsageError } from '../src/cli/service-options.ts';
import { BUILTIN_SCENARIOS } from '../src/sim/builtin-scenarios.ts';
import { STRATEGY_NAMES } from '../src/sim/strategies/names.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function usageError(argv: string[]): string {
  try {
    parseSimArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('zonelb sim flags', () => {
  it('reads scenarios (repeated, comma-separated, "all"), strategies, seed, out and threads', () => {
    expect(parseSimArgs(['--scenario', 'crash,drain', '--scenario', 'crash', '--strategies', 'zonelb,ring', '--seed', '9', '--out', 'o', '--threads', '1'])).toEqual({
      scenarios: ['crash', 'drain'],
      strategies: ['zonelb', 'ring'],
      seed: 9,
      out: 'o',
      threads: 1,
    });
    const all = parseSimArgs(['--scenario', 'all', '--out', 'o']);
    expect(all !== 'help' && all !== 'list' && all.scenarios).toEqual(Object.keys(BUILTIN_SCENARIOS));
  });

  it('names the flag at fault', () => {
    expect(usageError(['--out', 'o'])).toMatch(/--scenario is required/);
    expect(usageError(['--scenario', 'crash'])).toMatch(/--out DIR is required/);
    expect(usageError(['--scenario', 'crash', '--out', 'o', '--strategies', 'zonelb,best'])).toMatch(/--strategies: unknown strategy "best"/);
    expect(usageError(['--scenario', 'crash', '--out', 'o', '--seed', '1.5'])).toMatch(/--seed: expected an integer/);
    expect(usageError(['--scenario', 'crash', '--out', 'o', '--threads', 'x'])).toMatch(/--threads: expected an integer/);
    expect(usageError(['--scenario', 'crash', '--out', 'o', '--speed', '2'])).toMatch(/Unknown option '--speed'/);
  });
});

describe('zonelb sim on the command line', () => {
  it('--list lists every built-in scenario and strategy', () => {
    const r = cli('--list');
    expect(r.status).toBe(0);
    for (const name of Object.keys(BUILTIN_SCENARIOS)) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const name of STRATEGY_NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('a bad flag exits 2, a bad scenario file 1, each saying why', () => {
    const flag = cli('--scenario', 'crash');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--out DIR is required/);
    const dir = mkdtempSync(join(tmpdir(), 'zonelb-sim-cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', fleet: { servers: -2 } }));
    const scenario = cli('--scenario', bad, '--out', dir);
    expect(scenario.status).toBe(1);
    expect(scenario.stderr).toContain(`ZLB_ERR_INVALID_OPTION: scenario file ${bad}: fleet.servers:`);
  });

  it('runs scenarios × strategies in the worker pool, prints the table, writes the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonelb-sim-cli-'));
    const file = join(dir, 'small.json');
    writeFileSync(file, JSON.stringify({ name: 'small', durationS: 240, world: { grid: { width: 3, height: 3 }, players: 150, warmupS: 20 }, fleet: { servers: 3 }, events: [{ type: 'drain', at: 120 }] }));
    const out = join(dir, 'out');
    const r = cli('--scenario', file, '--strategies', 'zonelb,least-loaded', '--threads', '2', '--out', out);
    expect(r.stderr).toMatch(/\[2\/2\] small × (zonelb|least-loaded) done/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^small$/m);
    expect(r.stdout).toMatch(/^zonelb\s+\d/m);
    expect(r.stdout).toMatch(/^least-loaded\s+\d/m);
    for (const f of ['report.html', 'results.json', 'summary.csv', 'series.csv']) expect(existsSync(join(out, f)), f).toBe(true);
  });
});
