import { parentPort, workerData } from 'node:worker_threads';
import { ShardCounter, batchViews, serverTableViews, shardStateViews, zoneTableViews } from '../core/layout.ts';
import { ShardCore } from '../core/shard-core.ts';
import { repairShard } from '../core/shard-repair.ts';
import { RING_INDEX_SIZE, bucketIndexInto } from '../core/ring.ts';
import type { FromShard, ShardWorkerData, ToShard } from './shard-protocol.ts';

/**
 * A shard's worker thread: one ShardCore over the shard's shared state. A replacement worker
 * for one that died finds the `busy` flag still set and repairs the state before serving.
 */
const data = workerData as ShardWorkerData;
const port = parentPort!;
const servers = serverTableViews(data.servers);
const zones = zoneTableViews(data.zones);
const state = shardStateViews(data.state);
const mailboxes = [batchViews(data.mailboxes[0]), batchViews(data.mailboxes[1])] as const;
const core = new ShardCore({ servers, zones, state }, data.index, data.shards, data.options);
/** The ring's bucket index, rebuilt for each ring the coordinator sends (see bucketIndexInto). */
const ringIndex = new Uint32Array(RING_INDEX_SIZE);

if (Atomics.load(state.counters, ShardCounter.busy) === 1) {
  repairShard(servers, zones, state, data.index, data.shards);
  // The held-seat counts live in shared memory and are right unless a worker died mid-update.
  core.publishHeldSeats();
}
core.restoreSplitZones();
core.reportExpiries = true;

function send(m: FromShard): void {
  port.postMessage(m);
}

port.on('message', (m: ToShard) => {
  switch (m.t) {
    case 'batch': {
      // `busy` brackets every mutation of shared state: a worker found dead with it set left
      // the state possibly half-updated, and its successor repairs it.
      Atomics.store(state.counters, ShardCounter.busy, 1);
      core.processBatch(mailboxes[m.which], m.from, m.to, m.now, m.number);
      Atomics.store(state.counters, ShardCounter.busy, 0);
      // Admissions at the end of the batch (rare): their events travel with it.
      if (core.events.count > 0) send({ t: 'batch', which: m.which, events: core.events.drain() });
      else send({ t: 'batch', which: m.which });
      return;
    }
    case 'ring':
      // Rebuilt in place: the ring is read only while this thread answers a batch or a tick.
      core.ring = { points: m.points, slots: m.slots, index: bucketIndexInto(m.points, ringIndex) };
      return;
    case 'tick':
      Atomics.store(state.counters, ShardCounter.busy, 1);
      core.tick(m.now);
      Atomics.store(state.counters, ShardCounter.busy, 0);
      send({ t: 'reply', id: m.id, events: core.events.drain() });
      return;
    case 'evacuate':
      Atomics.store(state.counters, ShardCounter.busy, 1);
      core.evacuate(m.slot, m.reason, m.onlyIfRoom);
      Atomics.store(state.counters, ShardCounter.busy, 0);
      send({ t: 'reply', id: m.id, events: core.events.drain() });
      return;
    case 'playersOn':
      send({ t: 'reply', id: m.id, data: core.playersOn(m.slot) });
      return;
    case 'zones':
      send({ t: 'reply', id: m.id, data: core.listZones() });
      return;
    case 'hotZone':
      Atomics.store(state.counters, ShardCounter.busy, 1);
      core.setHotZone(m.zone, m.servers, m.reserve);
      Atomics.store(state.counters, ShardCounter.busy, 0);
      send({ t: 'reply', id: m.id });
      return;
  }
});

send({ t: 'ready' });
