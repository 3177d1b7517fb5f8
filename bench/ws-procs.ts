/**
 * Process plumbing shared by bench/ws.ts and bench/http.ts: the machine description every
 * benchmark prints, and the servers under test started as child processes (the generator gets
 * this process to itself): `zonelb serve` and the bare echo server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export function machine(): { node: string; cpu: string; cores: number } {
  const c = cpus();
  return { node: process.version, cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length };
}

export interface Child {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `node --import tsx <args>` and waits until `portOf` finds the port in its output. */
function start(args: string[], portOf: (line: string) => number | undefined, what: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start within 30 s:\n${buf}`)), 30_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    };
    const onLine = (chunk: Buffer): void => {
      buf += chunk.toString();
      for (const line of buf.split('\n')) {
        const port = portOf(line);
        if (port !== undefined) {
          clearTimeout(timer);
          proc.stdout!.off('data', onLine);
          proc.stdout!.resume();
          resolve({
            port,
            proc,
            stop: () =>
              new Promise((done) => {
                if (proc.exitCode !== null) return done();
                proc.once('exit', () => done());
                proc.kill('SIGTERM');
                setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
              }),
          });
          return;
        }
      }
    };
    proc.stdout!.on('data', onLine);
    proc.stderr!.on('data', (c: Buffer) => (buf += c.toString()));
    proc.once('exit', (code) => fail(new Error(`${what} exited with ${code}:\n${buf}`)));
  });
}

/** `zonelb serve` on a free loopback port, with the given extra flags. */
export function startZonelb(flags: string[]): Promise<Child> {
  return start(
    ['src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', ...flags],
    (line) => {
      if (!line.includes('"zonelb listening"')) return undefined;
      return (JSON.parse(line) as { port: number }).port;
    },
    'zonelb serve',
  );
}

export function startEcho(): Promise<Child> {
  return start(['bench/echo-server.ts'], (line) => (line.startsWith('{"port"') ? (JSON.parse(line) as { port: number }).port : undefined), 'echo server');
}

/** Registers `count` game servers big enough that the benchmark never fills them. */
export async function registerFleet(baseUrl: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${baseUrl}/v1/servers`, { method: 'POST', body: JSON.stringify({ id: `bench-${i}`, weight: 1 }) });
    if (res.status >= 300) throw new Error(`register bench-${i}: ${res.status} ${await res.text()}`);
  }
}
