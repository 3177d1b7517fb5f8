/**
 * `zonelb demo` (npm start): the real service on the embedded default (one process, no Redis),
 * a synthetic fleet of game servers heartbeating over HTTP, and a gateway sending binary
 * batches over the WebSocket. Prints where to look and what to try, a status line every few
 * seconds, and what happens when a server crashes. Runs until Ctrl-C, or --duration seconds.
 */
import { GATEWAY_PATH, SERVER_PATH, startZonelb } from '../net/app.ts';
import { LatencyWindow } from '../obs/latency-window.ts';
import { DemoFleet, demoServers } from './demo-fleet.ts';
import { DemoGateway } from './demo-gateway.ts';
import { createLogger } from './logger.ts';
import { serviceExtensions } from './service-extensions.ts';
import { UsageError, flagHelp, parseFlags, serviceOptions } from './service-options.ts';
import { untilStopped } from './until-stopped.ts';

export const summary = 'run the service with a synthetic fleet and gateway traffic';

const DEMO_FLAGS = [
  { flag: 'duration <s>', help: 'stop after this many seconds (default: run until Ctrl-C)' },
  { flag: 'servers <n>', help: 'synthetic game servers (default 6)' },
  { flag: 'players <n>', help: 'players in the world once it has filled up (default 4000)' },
  { flag: 'crash-after <s>', help: 'a server stops heartbeating after this many seconds, and every 60 s after (default 20)' },
];

export function usage(): string {
  return ['Usage: zonelb demo [options]', '', `  ${summary}.`, '', 'Options:', flagHelp(DEMO_FLAGS)].join('\n');
}

/** The demo's own defaults: loopback only, quick failure detection so a crash shows within seconds. */
const DEMO_BASE = {
  engine: { suspectAfterMs: 2000, deadAfterMs: 4000, reconnectMs: 10_000, limits: { playersPerServer: 1000 } },
  net: { host: '127.0.0.1', port: 7700 },
  logLevel: 'warn',
};

function positive(values: Record<string, unknown>, flag: string, fallback: number, integer: boolean): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export async function run(argv: readonly string[]): Promise<number> {
  const values = parseFlags('demo', argv, {
    duration: { type: 'string' },
    servers: { type: 'string' },
    players: { type: 'string' },
    'crash-after': { type: 'string' },
  });
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const duration = values.duration === undefined ? undefined : positive(values, 'duration', 0, false);
  const serverCount = positive(values, 'servers', 6, true);
  const population = positive(values, 'players', 4000, true);
  const crashAfter = positive(values, 'crash-after', 20, false);
  const o = serviceOptions(values, DEMO_BASE);
  const logger = createLogger(o.logLevel, 'zonelb-demo');
  const print = (line: string): void => console.log(`[${stamp()}] ${line}`);

  const z = await startZonelb({ engine: o.engine, net: o.net, logger, extensions: serviceExtensions(o.scale) });
  const http = z.server.url;
  const ws = z.server.wsUrl;
  const fleet = new DemoFleet(http, demoServers(serverCount, o.engine.limits.playersPerServer), print);
  await fleet.start(1000);
  const gateway = await DemoGateway.connect(
    `${ws}${GATEWAY_PATH}`,
    { population, zones: 64, hotZone: 7, hotShare: 0.3, batchSize: 50, batchesPerSec: 20, seed: 42 },
    print,
  );
  gateway.start();
  console.log(banner(http, ws, o.engine.shards, serverCount, fleet.ids[0]!));

  // The status line's round trip is over the last minute: counted since start, the first
  // seconds (compilation, workers warming up) would set its p99 for minutes.
  const roundTrip = new LatencyWindow(gateway.latency.histogram, 5000, 12);
  roundTrip.update(performance.now());
  const status = setInterval(() => {
    void statusLine(http, gateway, roundTrip).then(print, () => undefined);
  }, 5000);
  let victim = 0;
  const crashes: NodeJS.Timeout[] = [];
  const scheduleCrash = (afterSec: number): void => {
    crashes.push(
      setTimeout(() => {
        const id = fleet.ids[victim++ % fleet.ids.length]!;
        fleet.crash(id);
        print(`${id} stops heartbeating (simulated crash): suspect after ${o.engine.suspectAfterMs} ms, dead after ${o.engine.deadAfterMs} ms, then its players are re-placed and pushed to the gateway`);
        crashes.push(
          setTimeout(() => {
            void fleet.restart(id).then(() => print(`${id} is back: registered again as a new incarnation`));
          }, o.engine.deadAfterMs + 10_000),
        );
        scheduleCrash(60);
      }, afterSec * 1000),
    );
  };
  scheduleCrash(crashAfter);

  const why = await untilStopped(duration);
  clearInterval(status);
  for (const t of crashes) clearTimeout(t);
  print(`stopping (${why === 'signal' ? 'Ctrl-C' : `--duration ${duration}`})`);
  const t = gateway.totals;
  await gateway.stop();
  await fleet.stop();
  await z.close();
  const lat = gateway.latency.summary();
  console.log(
    `demo summary: ${t.answered}/${t.sent} requests answered, ${JSON.stringify(t.byStatus)}, re-placed ${JSON.stringify(t.replaced)}, ` +
      `batch round trip over the run p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms`,
  );
  return 0;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

function banner(http: string, ws: string, shards: number, servers: number, firstServer: string): string {
  const host = http.replace(/^http:\/\//, '');
  return `
zonelb demo: the service (${shards} shard${shards === 1 ? '' : 's'}, embedded, no Redis), ${servers} synthetic game servers heartbeating
over HTTP, and one gateway sending binary batches over WebSocket. Ctrl-C stops it.

Open the live dashboard:  ${http}/dashboard
  (servers with players, CPU and memory against their limits; zones and how they split; hot zones;
  crashes, drains, splits and scale decisions as they happen; throughput and latency)

Also:
  ${http}/metrics          Prometheus metrics (deploy/prometheus has alert rules, deploy/grafana a dashboard)
  ${http}/                 every route, one line each
  ${http}/v1/servers       servers: state, seats, learned admission limit, CPU/memory
  ${http}/v1/zones         zones by population; the hot zone 7 is split over several servers
  ${http}/v1/stats         front-end counters and batch latency
  ${http}/healthz  /readyz

Try:
  curl -s -XPOST ${host}/v1/join -d '{"player":4000000,"zone":7}'
  curl -s -XPOST ${host}/v1/servers/${firstServer}/drain -d '{"move":true}'
  curl -s -XPOST ${host}/v1/servers -d '{"id":"gs-new","weight":2}'

Gateways connect to ${ws}${GATEWAY_PATH}, game servers to ${ws}${SERVER_PATH} (schema/zonelb.fbs).
Next: npm run bench:ws, npm run bench:http, node dist/cli/main.js serve --help
`;
}

async function statusLine(http: string, gateway: DemoGateway, roundTrip: LatencyWindow): Promise<string> {
  const [servers, zones, stats, metrics] = await Promise.all([
    fetchJson<{ servers: { id: string; state: string; players: number; limit: number; cpu: number }[] }>(`${http}/v1/servers`),
    fetchJson<{ zones: { zone: number; population: number; servers: unknown[] }[]; splitZones: number }>(`${http}/v1/zones?limit=1`),
    fetchJson<{ queued: number; batches: number; requests: number }>(`${http}/v1/stats`),
    fetch(`${http}/metrics`, { signal: AbortSignal.timeout(2000) }).then((res) => res.text()),
  ]);
  const seated = servers.servers.reduce((n, s) => n + s.players, 0);
  const fleet = servers.servers.map((s) => `${s.id}${s.state === 'active' ? '' : `(${s.state})`} ${s.players}/${s.limit} cpu ${(s.cpu * 100).toFixed(1)}%`).join(', ');
  const hot = zones.zones[0];
  // The service's own p99 over the last minute, as Prometheus would scrape it.
  const serverP99 = /^zonelb_gateway_batch_latency_seconds\{quantile="0\.99"\} (\S+)$/m.exec(metrics)?.[1];
  const rtt = roundTrip.quantiles(performance.now());
  return (
    `world ${gateway.playersInWorld} players, ${seated} seats taken (incl. reconnect reservations), ${stats.queued} queued | ` +
    `${stats.requests} requests in ${stats.batches} batches; last minute: server p99 ${serverP99 === undefined ? '?' : (Number(serverP99) * 1000).toFixed(3)} ms, ` +
    `gateway round trip p50 ${rtt.p50Ms} ms, p99 ${rtt.p99Ms} ms | ` +
    `${hot ? `busiest zone ${hot.zone}: ${hot.population} players on ${hot.servers.length} server(s), ` : ''}${zones.splitZones} split | ${fleet}`
  );
}

async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as T;
}
