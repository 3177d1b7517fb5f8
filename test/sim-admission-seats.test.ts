/**
 * Seats free by zonelb's own admission limits at a denied join (LocalEngine.admissionSeats, the
 * simulator's deniedWhileAdmissible and limitSeatsWhenDenied): on hand-built engines whose
 * limits are known (a cold start with coldStart 1 lets a server fill its cap), on the metric
 * itself, and through whole runs.
 */
import { describe, expect, it } from 'vitest';
import { Status } from '../src/core/codes.ts';
import { LocalEngine } from '../src/engine/local-engine.ts';
import type { AdmissionSeats } from '../src/engine/types.ts';
import { RunMetrics } from '../src/sim/metrics.ts';
import { runScenario } from '../src/sim/run.ts';
import { tinyScenario } from './fixtures/sim-harness.ts';

/** Servers of cap 2 that may fill it before any reading (coldStart 1), reconnect window 1 s. */
function tinyEngine(clock: { ms: number }): LocalEngine {
  return new LocalEngine(
    { maxZones: 8, maxServers: 8, maxPlayers: 1 << 10, limits: { playersPerServer: 2 }, admission: { coldStart: 1 }, reconnectMs: 1000 },
    { clock: () => clock.ms, autoTick: false },
  );
}

const seats = (): AdmissionSeats => ({ takeable: 0, reconnect: 0, hot: 0 });

describe('seats free by the engine’s own limits', () => {
  it('a reconnect reservation holding the only seat: the join is denied, with a seat held for reconnects and none takeable', async () => {
    const clock = { ms: 0 };
    const engine = tinyEngine(clock);
    engine.registerServer({ id: 'a' });
    await engine.tick(0);
    expect(engine.server('a').limit).toBe(2);
    const out = seats();
    engine.admissionSeats(out);
    expect(out).toEqual({ takeable: 2, reconnect: 0, hot: 0 });

    expect((await engine.join(1, 0)).status).toBe(Status.Ok);
    expect((await engine.join(2, 0)).status).toBe(Status.Ok);
    await engine.leave(1); // its seat is kept for 1 s
    expect((await engine.join(3, 0)).status).toBe(Status.Queued);
    engine.admissionSeats(out);
    expect(out).toEqual({ takeable: 0, reconnect: 1, hot: 0 });

    // The window passes: the seat is released and the line takes it at once.
    clock.ms = 1100;
    await engine.tick(clock.ms);
    engine.admissionSeats(out);
    expect(out).toEqual({ takeable: 0, reconnect: 0, hot: 0 });
    expect(engine.server('a').players).toBe(2);
    await engine.close();
  });

  it('counts only servers taking joins, and a reservation that reconnected no longer counts', async () => {
    const clock = { ms: 0 };
    const engine = tinyEngine(clock);
    engine.registerServer({ id: 'a' });
    engine.registerServer({ id: 'b' });
    await engine.tick(0);
    const p = await engine.join(1, 0);
    await engine.leave(1);
    const out = seats();
    engine.admissionSeats(out);
    expect(out).toEqual({ takeable: 3, reconnect: 1, hot: 0 });
    expect((await engine.join(1, 0)).status).toBe(Status.Reconnected);
    engine.admissionSeats(out);
    expect(out).toEqual({ takeable: 3, reconnect: 0, hot: 0 });
    // A draining server takes no joins: its seats are nobody's to take.
    const other = p.serverId === 'a' ? 'b' : 'a';
    await engine.drainServer(other, { move: false });
    engine.admissionSeats(out);
    expect(out).toEqual({ takeable: 1, reconnect: 0, hot: 0 });
    await engine.close();
  });

  it('seats reserved for a hot zone count as held for hot zones, not takeable', async () => {
    const clock = { ms: 0 };
    const engine = tinyEngine(clock);
    engine.registerServer({ id: 'a' });
    engine.registerServer({ id: 'b' });
    await engine.tick(0);
    await engine.join(1, 0);
    await engine.setHotZone(0, { servers: 2, reserve: 2 });
    await engine.tick(1000);
    const out = seats();
    engine.admissionSeats(out);
    const held = (await engine.zones()).find((z) => z.zone === 0)!.servers.reduce((a, s) => a + s.reserved, 0);
    expect(held).toBeGreaterThan(0);
    expect(out).toEqual({ takeable: 3 - held, reconnect: 0, hot: held });
    await engine.close();
  });
});

describe('the run summary', () => {
  const base = { scenario: 'x', strategy: 'y', seed: 1, durationS: 1, measuredS: 1, arrived: 0, hotZones: { flagged: 0, cooled: 0, detectS: null, coolS: null }, scale: { decisions: 0, started: 0, released: 0 } };

  it('counts denials with a takeable seat, and averages the seats over the denials with true room', () => {
    const m = new RunMetrics({ cpu: 0.8, memory: 0.9, playersPerServer: 100 });
    m.measuring = true;
    m.byLimits = true;
    m.denied(10, true, { takeable: 0, reconnect: 4, hot: 2 });
    m.denied(6, true, { takeable: 0, reconnect: 2, hot: 0 });
    // No true room, yet a seat by the strategy's own limits (a limit above the truth).
    m.denied(0, false, { takeable: 1, reconnect: 0, hot: 0 });
    const s = m.summary(base);
    expect(s.joins).toMatchObject({ deniedWhileRoom: 2, freeSeatsWhenDenied: 8, deniedWhileAdmissible: 1, limitSeatsWhenDenied: { takeable: 0, reconnect: 3, hot: 1 } });
  });

  it('says nothing (null) for a strategy without admission limits', () => {
    const m = new RunMetrics({ cpu: 0.8, memory: 0.9, playersPerServer: 100 });
    m.measuring = true;
    m.denied(5, true);
    const s = m.summary(base);
    expect(s.joins).toMatchObject({ deniedWhileRoom: 1, deniedWhileAdmissible: null, limitSeatsWhenDenied: { takeable: null, reconnect: null, hot: null } });
  });

  it('zonelb reports its seats at denials in a whole run; a baseline reports none', async () => {
    // Two servers of 40 for 200 players: joins are denied, and leavers hold seats for reconnects.
    const s = tinyScenario({ fleet: { servers: 2, playersPerServer: 40 }, world: { grid: { width: 2, height: 2 }, players: 200, warmupS: 60, sessionMedianS: 120 } });
    const z = (await runScenario(s, 'zonelb')).summary.joins;
    expect(z.deniedWhileRoom).toBeGreaterThan(0);
    expect(z.deniedWhileAdmissible).not.toBeNull();
    expect(z.limitSeatsWhenDenied.reconnect).toBeGreaterThan(0);
    const ring = (await runScenario(s, 'least-loaded')).summary.joins;
    expect(ring.deniedWhileAdmissible).toBeNull();
    expect(ring.limitSeatsWhenDenied.takeable).toBeNull();
  });
});
