/**
 * The command line: flags and --config onto validated options, subcommand dispatch, and the
 * serve and demo commands run as child processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFlags } from '../src/cli/service-options.ts';
import { options, usageError } from './fixtures/cli-harness.ts';
import { until } from './fixtures/net-harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});


function configFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonelb-cli-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, content);
  return path;
}

describe('flags and config', () => {
  it('maps flags onto engine and network options, with defaults for the rest', () => {
    const o = options(['--port', '0', '--shards', '3', '--cpu-limit', '0.7', '--memory-limit', '0.85', '--players-per-server', '250', '--reconnect-ms', '0', '--when-full', 'refuse', '--host', '127.0.0.1']);
    expect(o.net.port).toBe(0);
    expect(o.net.host).toBe('127.0.0.1');
    expect(o.engine.shards).toBe(3);
    expect(o.engine.limits).toEqual({ cpu: 0.7, memory: 0.85, playersPerServer: 250 });
    expect(o.engine.reconnectMs).toBe(0);
    expect(o.engine.whenFull).toBe('refuse');
    expect(o.engine.maxBatch).toBe(65536);
    expect(o.net.gatewayBackpressureBytes).toBe(8 << 20);
    expect(o.logLevel).toBe('info');
    expect(Object.isFrozen(o.engine)).toBe(true);
  });

  it('reads --config and lets flags win over it', () => {
    const path = configFile(JSON.stringify({ engine: { shards: 2, limits: { cpu: 0.6, playersPerServer: 500 } }, net: { port: 9000 }, logLevel: 'warn' }));
    const o = options(['--config', path, '--cpu-limit', '0.75']);
    expect(o.engine.shards).toBe(2);
    expect(o.engine.limits).toEqual({ cpu: 0.75, memory: 0.9, playersPerServer: 500 });
    expect(o.net.port).toBe(9000);
    expect(o.logLevel).toBe('warn');
  });

  it('names the flag in validation errors', () => {
    expect(usageError(() => options(['--cpu-limit', '1.5']))).toMatch(/limits\.cpu.*--cpu-limit/);
    expect(usageError(() => options(['--port', 'abc']))).toBe('--port: expected a number, got "abc"');
    expect(usageError(() => options(['--shards', '1.5']))).toBe('--shards: expected an integer, got "1.5"');
    expect(usageError(() => options(['--port', '70000']))).toMatch(/net\.port.*--port/);
    expect(usageError(() => options(['--suspect-after-ms', '5000', '--dead-after-ms', '1000']))).toMatch(/deadAfterMs.*--dead-after-ms/);
    expect(usageError(() => options(['--when-full', 'panic']))).toMatch(/whenFull.*--when-full/);
    expect(usageError(() => options(['--log-level', 'loud']))).toMatch(/^--log-level: expected one of/);
    expect(usageError(() => parseFlags('serve', ['--prot', '1']))).toMatch(/zonelb serve: .*--prot.*--help/);
  });

  it('refuses a bad config file clearly', () => {
    expect(usageError(() => options(['--config', '/nonexistent/zonelb.json']))).toMatch(/cannot read it \(ENOENT\)/);
    expect(usageError(() => options(['--config', configFile('{"engine": ')]))).toMatch(/not valid JSON/);
    expect(usageError(() => options(['--config', configFile('{"engin": {}}')]))).toMatch(/unknown key "engin"/);
    expect(usageError(() => options(['--config', configFile('{"engine": {"shard": 2}}')]))).toMatch(/Unrecognized key/);
    expect(usageError(() => options(['--config', configFile('[]')]))).toMatch(/expected a JSON object/);
  });
});

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('zonelb command', () => {
  it('lists commands, and exits 2 on an unknown one or a usage error', () => {
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/serve\s/);
    expect(help.stdout).toMatch(/demo\s/);
    const unknown = cli(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const bad = cli(['serve', '--cpu-limit', '2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--cpu-limit');
    const serveHelp = cli(['serve', '--help']);
    expect(serveHelp.status).toBe(0);
    expect(serveHelp.stdout).toContain('--players-per-server');
  });

  it('serve: starts, answers HTTP, stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--shards', '1'], { cwd: root });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await until(() => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1], 'the ready log line', 20_000);
    const lines = out.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow(); // JSON logs only
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('zonelb stopped');
  });

  it('demo: runs for --duration seconds with a fleet and gateway traffic, prints what to open and a status line, exits 0', () => {
    // Long enough for one status line (every 5 s).
    const r = cli(['demo', '--duration', '6.5', '--port', '0', '--shards', '1', '--servers', '3', '--players', '300']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+\/v1\/servers/);
    expect(r.stdout).toContain('curl -s -XPOST');
    expect(r.stdout).toContain('npm run bench:ws');
    // The service's p99 comes from /metrics (the last minute's quantile), the round trip from the gateway.
    expect(r.stdout).toMatch(/last minute: server p99 \d+\.\d{3} ms, gateway round trip p50 [\d.]+ ms, p99 [\d.]+ ms/);
    const summary = /demo summary: (\d+)\/(\d+) requests answered/.exec(r.stdout);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThan(0);
    expect(summary![1]).toBe(summary![2]);
  });
});
