/**
 * Scaling on the command line: the --autoscale, --scale-*, --boot-delay-ms, --hot-zone* and
 * --forecast-* flags and the "scale" section of --config, validated once by the scaling schema
 * with errors that name the flag; and `zonelb serve` running the controller, with its status at
 * GET /v1/scale and the Agones webhook mounted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { options, usageError } from './fixtures/cli-harness.ts';
import { request, until } from './fixtures/net-harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});


describe('scaling flags and config', () => {
  it('defaults: autoscaler off, Agones provider, hot zones on; the result is frozen', () => {
    const { scale } = options([]);
    expect(scale).toMatchObject({ mode: 'off', provider: 'agones', target: 0.7, band: 0.1, min: 1, max: 100, bootDelayMs: 60_000, intervalMs: 5000 });
    expect(scale.hotZones).toMatchObject({ enabled: true, sampleMs: 1000, baselineMs: 120_000, coolMs: 10_000 });
    expect(scale.forecast).toMatchObject({ bucketMs: 300_000, seasonMs: 86_400_000 });
    expect(Object.isFrozen(scale)).toBe(true);
    expect(Object.isFrozen(scale.hotZones)).toBe(true);
  });

  it('maps every scaling flag onto its option', () => {
    const { scale } = options([
      ...['--autoscale', 'predictive', '--scale-target', '0.6', '--scale-band', '0.15', '--scale-min', '2', '--scale-max', '40'],
      ...['--scale-server-weight', '2', '--boot-delay-ms', '90000', '--scale-interval-ms', '2000'],
      ...['--scale-out-cooldown-ms', '10000', '--scale-in-cooldown-ms', '600000', '--scale-webhook', 'https://ops.example/scale'],
      ...['--hot-zones', 'off', '--hot-zone-sample-ms', '500', '--hot-zone-baseline-ms', '60000', '--hot-zone-cool-ms', '20000'],
      ...['--hot-zone-warmup-ms', '5000', '--hot-zone-k', '5', '--forecast-bucket-ms', '60000', '--forecast-season-ms', '604800000'],
    ]);
    expect(scale).toMatchObject({
      mode: 'predictive',
      target: 0.6,
      band: 0.15,
      min: 2,
      max: 40,
      serverWeight: 2,
      bootDelayMs: 90_000,
      intervalMs: 2000,
      scaleOutCooldownMs: 10_000,
      scaleInCooldownMs: 600_000,
      provider: 'webhook', // implied by the URL
      webhook: 'https://ops.example/scale',
    });
    expect(scale.hotZones).toMatchObject({ enabled: false, sampleMs: 500, baselineMs: 60_000, coolMs: 20_000, warmupMs: 5000, k: 5 });
    expect(scale.forecast).toMatchObject({ bucketMs: 60_000, seasonMs: 604_800_000 });
  });

  it('reads the "scale" section of --config; flags win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zonelb-scale-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ scale: { mode: 'reactive', max: 12, hotZones: { coolMs: 30_000 } } }));
    const { scale } = options(['--config', path, '--scale-max', '8']);
    expect(scale).toMatchObject({ mode: 'reactive', max: 8 });
    expect(scale.hotZones.coolMs).toBe(30_000);
    writeFileSync(path, JSON.stringify({ scale: { mode: 'reactive', maxx: 12 } }));
    expect(usageError(() => options(['--config', path]))).toMatch(/scale.*maxx/);
    writeFileSync(path, JSON.stringify({ scale: { hotZones: { baselineMs: 60_000, hotBaselineMs: 30_000 } } }));
    expect(usageError(() => options(['--config', path]))).toMatch(/scale\.hotZones\.hotBaselineMs: must be at least baselineMs \(60000\)/);
  });

  it('names the flag in every validation error', () => {
    expect(usageError(() => options(['--autoscale', 'sometimes']))).toMatch(/scale\.mode.*--autoscale/);
    expect(usageError(() => options(['--scale-min', '5', '--scale-max', '2']))).toMatch(/scale\.max: must be at least min \(5\).*--scale-max/);
    expect(usageError(() => options(['--scale-target', '0.1', '--scale-band', '0.2']))).toMatch(/scale\.band.*--scale-band/);
    expect(usageError(() => options(['--scale-target', '1.5']))).toMatch(/scale\.target.*--scale-target/);
    expect(usageError(() => options(['--scale-provider', 'webhook']))).toMatch(/scale\.webhook: provider "webhook" needs a URL.*--scale-webhook/);
    expect(usageError(() => options(['--scale-provider', 'agones', '--scale-webhook', 'https://x.example/']))).toMatch(/scale\.provider.*choose one.*--scale-provider/);
    expect(usageError(() => options(['--scale-webhook', 'ftp://x.example/']))).toMatch(/scale\.webhook.*--scale-webhook/);
    expect(usageError(() => options(['--scale-provider', 'kubernetes']))).toMatch(/scale\.provider.*--scale-provider/);
    expect(usageError(() => options(['--hot-zones', 'maybe']))).toBe('--hot-zones: expected on or off, got "maybe"');
    expect(usageError(() => options(['--boot-delay-ms', 'soon']))).toBe('--boot-delay-ms: expected a number, got "soon"');
    expect(usageError(() => options(['--forecast-bucket-ms', '60000', '--forecast-season-ms', '60000']))).toMatch(/scale\.forecast\.seasonMs.*--forecast-season-ms/);
    expect(usageError(() => options(['--hot-zone-sample-ms', '0']))).toMatch(/scale\.hotZones\.sampleMs.*--hot-zone-sample-ms/);
  });
});

describe('zonelb serve with scaling', () => {
  it('runs the controller, shows it at GET /v1/scale, answers Agones, and stops cleanly', async () => {
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--shards', '1'];
    const child = spawn(process.execPath, [...args, '--autoscale', 'reactive', '--scale-interval-ms', '200', '--scale-max', '6', '--hot-zone-sample-ms', '200'], { cwd: root });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await until(() => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1], 'the ready log line', 20_000);
    expect(out).toContain('"autoscale":"reactive"');

    // A server registers; the controller, on its timer, decides within a few periods.
    expect((await request('POST', `${url}/v1/servers`, { id: 'gs-1' })).status).toBeLessThan(300);
    const status = await until(async () => {
      const r = await request('GET', `${url}/v1/scale`);
      return r.body.autoscale?.actual === 1 ? r.body : undefined;
    }, 'a decision that sees the server', 10_000);
    expect(status.options).toMatchObject({ mode: 'reactive', provider: 'agones', max: 6 });
    expect(status.autoscale).toMatchObject({ mode: 'reactive', actual: 1, desired: 1, demand: 0 });
    expect(status.zoneSampling).toBe('on');

    const review = { request: { uid: 'u-1', name: 'fleet', namespace: 'default', status: { replicas: 1, readyReplicas: 1, reservedReplicas: 0, allocatedReplicas: 0 } }, response: null };
    const agones = await request('POST', `${url}/v1/autoscale/agones`, review);
    expect(agones.status).toBe(200);
    expect(agones.body.response).toEqual({ uid: 'u-1', scale: false, replicas: 1 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('zonelb stopped');
  });
});
