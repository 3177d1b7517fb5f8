/**
 * The soak benchmark's game servers (src/cli/demo-fleet.ts), in a worker thread of their own:
 * forty-odd HTTP heartbeats a second through fetch cost the thread that makes them ~10 ms, and
 * on the gateway's thread they would stall the replies it times (p99 2 ms → 10 ms measured).
 * Messages in: { t: 'crash' | 'restart', id } and { t: 'stop' }; out: { t: 'ready', ids }, { t: 'stopped' }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DemoFleet, demoServers } from '../src/cli/demo-fleet.ts';

export interface FleetData {
  base: string;
  servers: number;
  playersPerServer: number;
}

export type ToFleet = { t: 'crash' | 'restart'; id: string } | { t: 'stop' };
export type FromFleet = { t: 'ready'; ids: string[] } | { t: 'stopped' };

const port = parentPort;
if (port) {
  const data = workerData as FleetData;
  const fleet = new DemoFleet(data.base, demoServers(data.servers, data.playersPerServer), (m) => console.error(m));
  await fleet.start(1000);
  port.on('message', (m: ToFleet) => {
    if (m.t === 'crash') fleet.crash(m.id);
    else if (m.t === 'restart') void fleet.restart(m.id);
    else void fleet.stop().then(() => port.postMessage({ t: 'stopped' } satisfies FromFleet));
  });
  port.postMessage({ t: 'ready', ids: fleet.ids } satisfies FromFleet);
}
