/**
 * The service's JSON log: one pino line per control-plane event (server joined, draining,
 * suspect, declared dead, zone split or merged, hot zone, scale decision), in order, at the
 * right level, and never a line per join, move or leave, whether they come over HTTP or
 * through the engine's batch path.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '../src/core/codes.ts';
import type { EngineEvent } from '../src/engine/types.ts';
import { startObserved, type ObservedServer } from './fixtures/obs-harness.ts';

interface Line {
  level: number;
  time: number;
  msg: string;
  component?: string;
  event?: string;
  [field: string]: unknown;
}

const INFO = 30;
const WARN = 40;

let running: ObservedServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function submitJoins(running: ObservedServer, first: number, count: number, zoneOf: (i: number) => number, op: number = Op.Join): Promise<void> {
  const ops = new Uint8Array(count).fill(op);
  const players = new Uint32Array(count);
  const zones = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    players[i] = first + i;
    zones[i] = zoneOf(i);
  }
  const sink = { status: new Uint8Array(count), server: new Int32Array(count), position: new Uint32Array(count), done: (): void => undefined };
  return new Promise((resolve) => {
    sink.done = resolve;
    running.engine.submit({ ops, players, zones }, 0, count, sink);
  });
}

describe('control-plane log', () => {
  it('writes one JSON line per control-plane event and none per join, move or leave', async () => {
    const raw: string[] = [];
    // The engine runs on a virtual clock: suspect, then dead, whatever the machine's load.
    let now = 0;
    const logger = pino({ level: 'info' }, { write: (s: string) => void raw.push(s) });
    running = await startObserved({ engine: { suspectAfterMs: 100, deadAfterMs: 200, reconnectMs: 0, limits: { playersPerServer: 400 } }, runtime: { autoTick: false, clock: () => now }, logger });
    const { engine, http } = running;
    const events: EngineEvent[] = [];
    engine.onEvent((e) => events.push(e));
    const startLines = raw.length;

    for (const [id, weight] of [['gs-1', 1], ['gs-2', 2], ['gs-3', 1]] as const) {
      const res = await fetch(`${http}/v1/servers`, { method: 'POST', body: JSON.stringify({ id, weight }), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(201);
    }
    // 3000 joins through the batch path (zone 0 crowded enough to split), 200 over HTTP, moves and leaves.
    await submitJoins(running, 1, 3000, (i) => (i % 2 === 0 ? 0 : 1 + (i % 40)));
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${http}/v1/join`, { method: 'POST', body: JSON.stringify({ player: 10_000 + i, zone: 50 + (i % 10) }), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await submitJoins(running, 1, 500, (i) => 41 + (i % 5), Op.Move);
    await submitJoins(running, 2000, 500, () => 0, Op.Leave);
    const joinLines = raw.slice(startLines).map((l) => JSON.parse(l) as Line);
    // Only events (registrations, zone splits) logged so far: one line each.
    expect(joinLines.length).toBe(events.length);

    // A drain, a crash, a hot zone and a scale decision. Every server is heard from first.
    for (const id of ['gs-1', 'gs-2', 'gs-3']) engine.heartbeat(id, { cpu: 0.3, memory: 0.3, players: engine.server(id).players });
    const drain = await fetch(`${http}/v1/servers/gs-3/drain`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(drain.status).toBe(200);
    engine.emitEvent({ type: 'hot-zone', at: 0, zone: 0, hot: true, joinRate: 120, baseline: 8 });
    engine.emitEvent({ type: 'scale', at: 0, desired: 6, actual: 4, mode: 'reactive', reason: 'utilisation 0.93 above 0.8' });
    // Two ticks 150 ms apart with gs-2 silent: suspect at the first, dead (players re-placed) at the second.
    for (let i = 0; i < 2; i++) {
      now += 150;
      engine.heartbeat('gs-1', { cpu: 0.3, memory: 0.3, players: engine.server('gs-1').players });
      engine.heartbeat('gs-3', { cpu: 0.3, memory: 0.3, players: engine.server('gs-3').players });
      await engine.tick();
    }
    await running.close();
    const closedAt = raw.length;
    running = undefined;

    const lines = raw.slice(startLines, closedAt).map((l) => JSON.parse(l) as Line);
    const eventLines = lines.filter((l) => l.component === 'engine');
    const types = events.map((e) => e.type);
    expect(eventLines.map((l) => l.event)).toEqual(types);
    for (const t of ['server-registered', 'server-draining', 'server-suspect', 'server-dead', 'zone-split', 'hot-zone', 'scale']) expect(types, t).toContain(t);
    // Nothing else but the service stopping.
    expect(lines.filter((l) => l.component !== 'engine').map((l) => l.msg)).toEqual(['zonelb stopped']);

    for (const [i, l] of eventLines.entries()) {
      const e = events[i]!;
      expect(typeof l.time).toBe('number');
      expect(l.at).toBeUndefined();
      const warn = e.type === 'server-suspect' || e.type === 'server-dead' || (e.type === 'hot-zone' && e.hot);
      expect(l.level, e.type).toBe(warn ? WARN : INFO);
      // The event's own fields, flat on the line.
      const fields: Record<string, unknown> = { ...e };
      delete fields.type;
      delete fields.at;
      expect(l).toMatchObject(fields);
    }
    const dead = eventLines.find((l) => l.event === 'server-dead')!;
    expect(dead).toMatchObject({ serverId: 'gs-2', msg: 'server declared dead, players re-placed' });
    expect(dead.players).toBeGreaterThan(0);
    expect(eventLines.find((l) => l.event === 'server-registered')).toMatchObject({ serverId: 'gs-1', weight: 1, msg: 'server joined' });
    expect(eventLines.find((l) => l.event === 'scale')).toMatchObject({ desired: 6, actual: 4, mode: 'reactive', msg: 'scale decision' });
    // No line names a player.
    for (const l of lines) expect(l).not.toHaveProperty('player');
  });
});
