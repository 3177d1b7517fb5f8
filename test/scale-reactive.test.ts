/**
 * The reactive scaler on a step in demand, with servers that take a boot delay: it asks once
 * for exactly the capacity the step needs (no overshoot), does not ask again while they boot,
 * holds steady under noise inside its band (no flapping), scales in only past its cooldown and
 * band, by bounded steps, and stays within its minimum and maximum.
 */
import { describe, expect, it } from 'vitest';
import { ReactiveScaler, type ReactiveOptions } from '../src/scale/reactive-scaler.ts';
import { ErrorCode } from '../src/core/errors.ts';

const OPTS: ReactiveOptions = {
  target: 0.7,
  band: 0.1,
  min: 1,
  max: 50,
  scaleOutCooldownMs: 10_000,
  scaleInCooldownMs: 120_000,
  scaleInStep: 0.25,
};
const SEATS = 100;

/** A fleet whose requested servers become active `bootMs` after being asked for. */
function run(scaler: ReactiveScaler, demandAt: (t: number) => number, o: { bootMs: number; start: number; until: number; stepMs: number }) {
  let active = o.start;
  const booting: { ready: number; units: number }[] = [];
  const log: { t: number; direction: string; desired: number; active: number; pending: number }[] = [];
  for (let t = 0; t <= o.until; t += o.stepMs) {
    while (booting.length > 0 && booting[0]!.ready <= t) active += booting.shift()!.units;
    const pending = booting.reduce((a, b) => a + b.units, 0);
    const v = scaler.decide({ now: t, demand: demandAt(t), active, pending, seatsPerUnit: SEATS });
    log.push({ t, direction: v.direction, desired: v.desired, active, pending });
    if (v.direction === 'out') booting.push({ ready: t + o.bootMs, units: v.desired - active - pending });
    if (v.direction === 'in') active = v.desired;
  }
  return { log, active };
}

describe('ReactiveScaler', () => {
  it('answers a step with one scale-out of exactly the capacity needed, and nothing more while it boots', () => {
    const s = new ReactiveScaler(OPTS);
    // 300 players, then a step to 1400 at t = 60 s; servers boot in 90 s.
    const r = run(s, (t) => (t < 60_000 ? 300 : 1400), { bootMs: 90_000, start: 5, until: 600_000, stepMs: 5_000 });
    const outs = r.log.filter((l) => l.direction === 'out');
    expect(outs).toHaveLength(1);
    expect(outs[0]!.t).toBe(60_000);
    expect(outs[0]!.desired).toBe(Math.ceil(1400 / (0.7 * SEATS))); // 20
    expect(r.active).toBe(20);
    // Never more capacity than the step needs, and no scale-in after it (no flap back).
    expect(Math.max(...r.log.map((l) => l.active + l.pending))).toBe(20);
    expect(r.log.filter((l) => l.direction === 'in')).toHaveLength(0);
  });

  it('answers a noisy step with one scale-out and no flapping back and forth afterwards', () => {
    const s = new ReactiveScaler(OPTS);
    // 300 players, then 1400 ± 5 % (deterministic wobble) from t = 60 s.
    const wobble = (t: number) => 0.05 * Math.sin(t / 3_000) * Math.cos(t / 11_000);
    const r = run(s, (t) => (t < 60_000 ? 300 : Math.round(1400 * (1 + wobble(t)))), { bootMs: 90_000, start: 5, until: 1_800_000, stepMs: 5_000 });
    const changes = r.log.filter((l) => l.direction !== 'hold');
    expect(changes.map((l) => l.direction)).toEqual(['out']);
    // Exactly what the step's level needs at the target, not what a noise peak would.
    expect(changes[0]!.desired).toBeLessThanOrEqual(Math.ceil((1400 * 1.05) / (0.7 * SEATS)));
    expect(r.active).toBe(changes[0]!.desired);
  });

  it('holds under noise that stays inside its band', () => {
    const s = new ReactiveScaler(OPTS);
    // 10 servers at 70 % ± 8 %: inside the ±10 % band.
    const r = run(s, (t) => 700 + 80 * Math.sin(t / 7_000), { bootMs: 60_000, start: 10, until: 3_600_000, stepMs: 5_000 });
    expect(r.log.every((l) => l.direction === 'hold')).toBe(true);
    expect(r.active).toBe(10);
  });

  it('scales in after its cooldown, by at most scaleInStep at a time, down to what the demand needs', () => {
    const s = new ReactiveScaler(OPTS);
    const r = run(s, () => 350, { bootMs: 60_000, start: 20, until: 1_200_000, stepMs: 5_000 });
    const ins = r.log.filter((l) => l.direction === 'in');
    expect(ins.length).toBeGreaterThan(1);
    for (const i of ins) expect(i.active - i.desired).toBeLessThanOrEqual(Math.max(1, Math.floor(i.active * 0.25)));
    for (let k = 1; k < ins.length; k++) expect(ins[k]!.t - ins[k - 1]!.t).toBeGreaterThanOrEqual(120_000);
    expect(r.active).toBe(Math.ceil(350 / 70)); // 5 servers: 70 %
    // Once there, it stays.
    expect(r.log.at(-1)!.direction).toBe('hold');
  });

  it('keeps within the minimum and maximum', () => {
    const s = new ReactiveScaler({ ...OPTS, min: 2, max: 8 });
    expect(s.decide({ now: 0, demand: 0, active: 0, pending: 0, seatsPerUnit: SEATS })).toMatchObject({ direction: 'out', desired: 2 });
    expect(s.decide({ now: 1e6, demand: 100_000, active: 2, pending: 0, seatsPerUnit: SEATS })).toMatchObject({ direction: 'out', desired: 8 });
    expect(s.decide({ now: 2e6, demand: 100_000, active: 8, pending: 0, seatsPerUnit: SEATS })).toMatchObject({ direction: 'hold', desired: 8 });
    expect(s.decide({ now: 3e6, demand: 0, active: 12, pending: 0, seatsPerUnit: SEATS })).toMatchObject({ direction: 'in', desired: 8 });
    expect(s.decide({ now: 4e6, demand: 0, active: 2, pending: 0, seatsPerUnit: SEATS })).toMatchObject({ direction: 'hold', desired: 2 });
  });

  it('refuses inconsistent options', () => {
    expect(() => new ReactiveScaler({ ...OPTS, band: 0.8 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument, field: 'band' }));
    expect(() => new ReactiveScaler({ ...OPTS, min: 10, max: 5 })).toThrow(expect.objectContaining({ field: 'max' }));
    expect(() => new ReactiveScaler({ ...OPTS, target: 0 })).toThrow(expect.objectContaining({ field: 'target' }));
  });
});
