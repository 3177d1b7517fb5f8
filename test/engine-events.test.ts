/**
 * Control-plane events (engine.onEvent): one event per server lifecycle change, on the
 * engine's clock, none per join; a throwing listener does not break the engine.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../src/engine/engine-events.ts';
import { closePool, ENGINE_KINDS, joinMany, startEngine, type Harness } from './fixtures/engine-harness.ts';

afterAll(closePool);

const ZONE = 3;

/** Events without the zone ones (their own file covers those). */
function lifecycle(events: EngineEvent[]): EngineEvent[] {
  return events.filter((e) => e.type.startsWith('server-'));
}

describe.each(ENGINE_KINDS)('control-plane events (%s engine)', (kind) => {
  let h: Harness;
  let events: EngineEvent[];
  let stop: () => void;

  async function setup(): Promise<void> {
    h = await startEngine(kind);
    events = [];
    stop = h.engine.onEvent((e) => events.push(e));
  }

  afterEach(async () => {
    stop?.();
    await h?.close();
  });

  it('reports a registration once, with the weight and the clock time, and nothing per join', async () => {
    await setup();
    h.engine.registerServer({ id: 'a', weight: 2 });
    h.engine.registerServer({ id: 'a', weight: 2 }); // re-registering a live server is not news
    await joinMany(h.engine, ZONE, 0, 15);
    expect(lifecycle(events)).toEqual([{ type: 'server-registered', at: h.now, serverId: 'a', weight: 2 }]);
  });

  it('reports suspect, then dead with the players re-placed, for a silent server', async () => {
    await setup();
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 4);
    h.engine.registerServer({ id: 'b' });
    h.silent.add('a');
    await h.advance(600, 50);
    const types = lifecycle(events).map((e) => e.type);
    expect(types).toEqual(['server-registered', 'server-registered', 'server-suspect', 'server-dead']);
    const dead = events.find((e) => e.type === 'server-dead');
    expect(dead).toMatchObject({ serverId: 'a', players: 4, lost: 0 });
    if (dead?.type === 'server-dead') expect(dead.failoverMs).toBeGreaterThanOrEqual(0);
  });

  it('reports a suspect server that speaks again as recovered', async () => {
    await setup();
    h.engine.registerServer({ id: 'a' });
    h.silent.add('a');
    await h.advance(400, 50);
    h.silent.delete('a');
    h.keepAlive('a');
    expect(lifecycle(events).map((e) => e.type)).toEqual(['server-registered', 'server-suspect', 'server-recovered']);
  });

  it('reports a drain once and a removal with the players it still held', async () => {
    await setup();
    h.engine.registerServer({ id: 'a' });
    await joinMany(h.engine, ZONE, 0, 3);
    h.engine.registerServer({ id: 'b' });
    await h.engine.drainServer('a');
    await h.engine.drainServer('a');
    await h.engine.removeServer('a');
    expect(lifecycle(events).slice(2)).toEqual([
      { type: 'server-draining', at: h.now, serverId: 'a' },
      { type: 'server-removed', at: h.now, serverId: 'a', players: 3 },
    ]);
  });

  it('keeps working and keeps telling other listeners when one listener throws', async () => {
    await setup();
    const off = h.engine.onEvent(() => {
      throw new Error('a broken observer');
    });
    try {
      h.engine.registerServer({ id: 'a' });
      const placed = await joinMany(h.engine, ZONE, 0, 2);
      expect(placed.every((p) => p.serverId === 'a')).toBe(true);
      expect(lifecycle(events).map((e) => e.type)).toEqual(['server-registered']);
    } finally {
      off();
    }
  });

  it('passes events emitted beside the engine (autoscaler, hot zones) to listeners', async () => {
    await setup();
    const scale: EngineEvent = { type: 'scale', at: h.now, desired: 4, actual: 3, mode: 'reactive', reason: 'utilisation 0.9 > 0.7' };
    h.engine.emitEvent(scale);
    expect(events).toEqual([scale]);
  });
});
