/**
 * `zonelb serve`: the service. One process: the HTTP API, the gateway and game-server
 * WebSockets on one port, the engine's shards in worker threads. Runs until SIGINT/SIGTERM.
 */
import { startZonelb } from '../net/app.ts';
import { GATEWAY_PATH, SERVER_PATH } from '../net/app.ts';
import { AGONES_WEBHOOK_PATH, SCALE_STATUS_PATH } from '../scale/scale-extension.ts';
import { createLogger } from './logger.ts';
import { serviceExtensions } from './service-extensions.ts';
import { flagHelp, parseFlags, serviceOptions } from './service-options.ts';
import { untilStopped } from './until-stopped.ts';

export const summary = 'run the load balancer (HTTP JSON API + gateway and game-server WebSockets)';

export function usage(): string {
  return [
    'Usage: zonelb serve [options]',
    '',
    `  ${summary}.`,
    `  Gateways: ws://HOST:PORT${GATEWAY_PATH}   game servers: ws://HOST:PORT${SERVER_PATH} or the HTTP API (GET / lists it).`,
    '',
    'Options:',
    flagHelp(),
    '',
    'Example: zonelb serve --port 7700 --shards 2 --cpu-limit 0.75 --players-per-server 2000',
    `         zonelb serve --autoscale predictive --scale-max 40 --boot-delay-ms 90000 --scale-webhook https://ops.example/scale`,
    `  Scaling status: GET ${SCALE_STATUS_PATH}   Agones FleetAutoscaler webhook: POST ${AGONES_WEBHOOK_PATH}`,
  ].join('\n');
}

export async function run(argv: readonly string[]): Promise<number> {
  const values = parseFlags('serve', argv);
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const o = serviceOptions(values);
  const logger = createLogger(o.logLevel);
  const z = await startZonelb({ engine: o.engine, net: o.net, logger, extensions: serviceExtensions(o.scale) });
  logger.info(
    {
      shards: o.engine.shards,
      limits: o.engine.limits,
      maxBatch: o.engine.maxBatch,
      url: z.server.url,
      dashboard: `${z.server.url}/dashboard`,
      metrics: `${z.server.url}/metrics`,
      autoscale: o.scale.mode,
      scale: `${z.server.url}${SCALE_STATUS_PATH}`,
    },
    'zonelb serve ready',
  );
  const why = await untilStopped();
  logger.info({ why }, 'shutting down');
  await z.close();
  return 0;
}
