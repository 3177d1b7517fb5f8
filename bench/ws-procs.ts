/**
 * Process plumbing shared by bench/ws.ts and bench/http.ts: the machine description every
 * benchmark prints, and the servers under test started as child processes (the generator gets
 * this process to itself): `zonelb serve` and the bare echo server.
 *
 * Every process runs compiled JavaScript, as in production: zonelb from dist/ (`npm run build`,
 * what `npm run serve` and the `zonelb` command run), the benchmark and the echo server from
 * dist-bench/ (`npm run build:bench`). Under tsx each process also keeps a module-loader thread
 * with an isolate of its own, collected on V8's helper threads, and those threads took the
 * server's core for milliseconds at a time on a 2-core machine: the open loop's maximum fell
 * from 10-24 ms to 5-11 ms once compiled (bench/RESULTS.md, "What that pause was").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Run from source (tsx bench/ws.ts) or compiled (node dist-bench/bench/ws.js). */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
/** The repository: bench/ from source, dist-bench/bench/ compiled. */
const root = fileURLToPath(new URL(FROM_SOURCE ? '..' : '../..', import.meta.url));

export function machine(): { node: string; cpu: string; cores: number } {
  const c = cpus();
  return { node: process.version, cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length };
}

export interface Child {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `node <args>` in the repository and waits until `portOf` finds the port in its output. */
function start(args: string[], portOf: (line: string) => number | undefined, what: string): Promise<Child> {
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** `zonelb serve` from dist/ on a free loopback port, with the given extra flags. */
export function startZonelb(flags: string[]): Promise<Child> {
  const main = 'dist/cli/main.js';
  if (!existsSync(`${root}/${main}`)) return Promise.reject(new Error(`${main} not found: run \`npm run build\` first (npm run bench:ws does)`));
  return start(
    [main, 'serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', ...flags],
    (line) => {
      if (!line.includes('"zonelb listening"')) return undefined;
      return (JSON.parse(line) as { port: number }).port;
    },
    'zonelb serve',
  );
}

/** The bare uWebSockets.js echo (bench/echo-server.ts), run the way this benchmark runs. */
export function startEcho(): Promise<Child> {
  return start(FROM_SOURCE ? ['--import', 'tsx', 'bench/echo-server.ts'] : ['dist-bench/bench/echo-server.js'], (line) => (line.startsWith('{"port"') ? (JSON.parse(line) as { port: number }).port : undefined), 'echo server');
}

/**
 * CPU time a process has used so far (user + system, all its threads) in milliseconds, read
 * from /proc; undefined where there is none (not Linux) or the process is gone.
 */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (2nd field) may hold spaces: count from its closing parenthesis. After it,
  // index 0 is the 3rd field; utime and stime are the 14th and 15th, in USER_HZ (100 a second).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Registers `count` game servers big enough that the benchmark never fills them. */
export async function registerFleet(baseUrl: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${baseUrl}/v1/servers`, { method: 'POST', body: JSON.stringify({ id: `bench-${i}`, weight: 1 }) });
    if (res.status >= 300) throw new Error(`register bench-${i}: ${res.status} ${await res.text()}`);
  }
}
