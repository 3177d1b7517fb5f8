/**
 * Startup fails loudly when uWebSockets.js hands back its slow JavaScript fallback.
 * The fallback is forced with UWS_USE_FALLBACK=1 in a child process (the module is loaded once
 * per process, so the parent's native copy cannot be swapped out).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { loadUws } from '../src/net/uws.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function runNode(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const probe = `import { loadUws } from './src/net/uws.ts';
try { loadUws(); console.log('native'); } catch (e) { console.log(e.code + ' ' + e.message); process.exit(3); }`;

it('loads the native addon here', () => {
  expect(typeof loadUws().App).toBe('function');
});

it('throws ZLB_ERR_UWS_FALLBACK when the fallback was loaded', () => {
  const r = runNode(['--input-type=module', '-e', probe], { UWS_USE_FALLBACK: '1' });
  expect(r.status).toBe(3);
  expect(r.stdout).toContain('ZLB_ERR_UWS_FALLBACK');
  expect(r.stdout).toContain('dist/index.js');
  expect(r.stdout).toContain('UWS_USE_FALLBACK=1');
});

it('makes `zonelb serve` exit with status 1 and the code before listening', () => {
  const r = runNode(['src/cli/main.ts', 'serve', '--port', '0', '--shards', '1'], { UWS_USE_FALLBACK: '1' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('ZLB_ERR_UWS_FALLBACK');
  expect(r.stdout).not.toContain('zonelb listening');
});

it('is quiet without the variable', () => {
  const r = runNode(['--input-type=module', '-e', probe]);
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe('native');
});
