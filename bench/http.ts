/**
 * HTTP JSON API benchmark:  npm run bench:http [-- flags]  (builds, then node dist-bench/bench/http.js)
 *
 * autocannon, in this process, against POST /v1/join of `zonelb serve` (child process), then
 * with the same settings against a bare uWebSockets.js route that reads the body and answers a
 * fixed JSON body of the same size (bench/echo-server.ts): the HTTP stack's own ceiling on this
 * machine with this generator. Both targets get the same requests: 4096 distinct joins (player,
 * zone) cycled, so after the first cycle most are re-joins of a placed player.
 * The last line printed is one JSON object with every figure.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { machine, registerFleet, startEcho, startZonelb, type Child } from './ws-procs.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; p99_9?: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface RequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

type Autocannon = (opts: { url: string; connections: number; pipelining: number; duration: number; requests: RequestSpec[] }) => Promise<AutocannonResult>;

// autocannon ships no type declarations; this is the slice of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '32' },
    pipelining: { type: 'string', default: '1' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    shards: { type: 'string', default: '1' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('npm run bench:http -- [--connections 32] [--pipelining 1] [--duration 5] [--warmup 1] [--shards 1]');
  process.exit(0);
}
const num = (k: 'connections' | 'pipelining' | 'duration' | 'warmup' | 'shards'): number => {
  const n = Number(values[k]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k}: expected a positive number, got ${String(values[k])}`);
  return n;
};
const settings = { connections: num('connections'), pipelining: num('pipelining'), durationSec: num('duration'), warmupSec: num('warmup'), shards: num('shards') };

const m = machine();
console.log(`bench:http  node ${m.node}  cpu ${m.cpu} x${m.cores}`);
console.log(`settings ${JSON.stringify(settings)}`);

/**
 * DISTINCT fixed requests that autocannon cycles through. Fixed, so autocannon serialises each
 * once (a setupRequest per request made autocannon itself the ceiling at ~9 k req/s here);
 * distinct, so zonelb parses and places different players in different zones.
 */
const DISTINCT = 4096;
function joins(path: string, firstPlayer: number): RequestSpec[] {
  return Array.from({ length: DISTINCT }, (_, i) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: `{"player":${firstPlayer + i},"zone":${i % 1000}}`,
  }));
}

let firstPlayer = 1;

async function load(url: string, path: string, durationSec: number): Promise<AutocannonResult> {
  const requests = joins(path, firstPlayer);
  firstPlayer += DISTINCT;
  return autocannon({ url, connections: settings.connections, pipelining: settings.pipelining, duration: durationSec, requests });
}

function line(name: string, r: AutocannonResult): void {
  console.log(
    `${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(8)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms` +
      `  non-2xx ${r.non2xx}  errors ${r.errors}`,
  );
}

const children: Child[] = [];
try {
  const zonelb = await startZonelb(['--shards', String(settings.shards), '--suspect-after-ms', '3600000', '--dead-after-ms', '3600000', '--players-per-server', '100000']);
  children.push(zonelb);
  const zUrl = `http://127.0.0.1:${zonelb.port}`;
  await registerFleet(zUrl, 100);
  const echo = await startEcho();
  children.push(echo);
  const eUrl = `http://127.0.0.1:${echo.port}`;

  await load(zUrl, '/v1/join', settings.warmupSec);
  const join = await load(zUrl, '/v1/join', settings.durationSec);
  line('zonelb POST /v1/join', join);
  await load(eUrl, '/raw', settings.warmupSec);
  const raw = await load(eUrl, '/raw', settings.durationSec);
  line('bare uWebSockets.js POST /raw', raw);

  const result = {
    requestsPerSec: Math.round(join.requests.average),
    p99Ms: join.latency.p99,
    rawRequestsPerSec: Math.round(raw.requests.average),
    rawP99Ms: raw.latency.p99,
    ratio: Math.round((join.requests.average / raw.requests.average) * 1000) / 1000,
    non2xx: join.non2xx,
    errors: join.errors + join.timeouts,
    node: m.node,
    cpu: m.cpu,
    cores: m.cores,
    settings,
  };
  console.log(JSON.stringify(result));
} finally {
  for (const c of children) await c.stop();
}
