/**
 * The scenario's events, applied to the world and the fleet when their time comes: crashes,
 * servers joining and draining, crowds and hot zones, outages, a restart of the balancer. Each
 * leaves a mark for the report. Servers an event picks are chosen in the run being simulated
 * ("busiest" is that strategy's busiest server: the worst case for it); random picks come from
 * their own stream.
 */
import type { Fleet, SimServer } from './fleet.ts';
import { Rng } from './rng.ts';
import type { Scenario, ScenarioEvent } from './scenario-schema.ts';
import type { Traffic } from './traffic.ts';

export interface Mark {
  t: number;
  kind: string;
  label: string;
  /** A scenario event (the same in every run of the scenario), or something the strategy's control plane did. */
  source: 'scenario' | 'engine';
  /** Many of these happen (scale decisions): kept in the data, not listed or drawn. */
  minor?: boolean;
}

/** A flash crowd's window, for scoring how fast its zone was flagged hot and cooled. */
export interface CrowdWindow {
  zone: number;
  start: number;
  end: number;
}

interface Ramp {
  from: number;
  to: number;
  start: number;
  end: number;
  apply(value: number): void;
}

export class Timeline {
  readonly marks: Mark[] = [];
  readonly crowds: CrowdWindow[] = [];
  private readonly events: ScenarioEvent[];
  private next = 0;
  private readonly rng: Rng;
  private readonly ramps: Ramp[] = [];
  /** Things to do later (a crowd's pull ending, servers coming back after an outage), by time. */
  private readonly later: { at: number; run: () => void }[] = [];
  /** Attraction multipliers per zone, by source, so that overlapping events compose. */
  private readonly pulls = new Map<number, Map<string, number>>();

  constructor(
    scenario: Scenario,
    private readonly traffic: Traffic,
    private readonly fleet: Fleet,
    /** Restarts the balancer under test (the runner's, which tells the strategy). */
    private readonly restartBalancer: () => void,
  ) {
    // Stable order: by time, then as listed.
    this.events = scenario.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map((x) => x.e);
    this.rng = new Rng(scenario.seed, 'events');
  }

  /** Applies what is due at `now` (events at or before it) and moves the ramps on. */
  step(now: number): void {
    while (this.next < this.events.length && this.events[this.next]!.at <= now) this.apply(this.events[this.next++]!, now);
    for (let i = 0; i < this.later.length; ) {
      if (this.later[i]!.at <= now) this.later.splice(i, 1)[0]!.run();
      else i++;
    }
    for (let i = 0; i < this.ramps.length; i++) {
      const r = this.ramps[i]!;
      const f = Math.min(1, (now - r.start) / (r.end - r.start));
      r.apply(r.from + (r.to - r.from) * f);
      if (f >= 1) this.ramps.splice(i--, 1);
    }
  }

  private mark(t: number, kind: string, label: string): void {
    this.marks.push({ t, kind, label, source: 'scenario' });
  }

  private apply(e: ScenarioEvent, now: number): void {
    const zoneOf = (z: number | undefined): number => z ?? this.traffic.busiestZone();
    switch (e.type) {
      case 'crash': {
        const hit = this.pick(e.servers, e.pick);
        for (const s of hit) this.fleet.crash(s);
        this.mark(now, 'crash', `crash ${hit.map((s) => s.id).join(', ') || '(no server up)'}`);
        break;
      }
      case 'crash-storm': {
        const n = Math.max(1, Math.ceil(e.fraction * this.serving().length));
        const hit = this.pick(n, e.pick);
        for (const s of hit) this.fleet.crash(s);
        this.mark(now, 'crash', `crash storm: ${hit.length} servers (${Math.round(e.fraction * 100)} %)`);
        break;
      }
      case 'join':
        this.fleet.start(e.servers, e.weight);
        this.mark(now, 'join', `${e.servers} server${e.servers > 1 ? 's' : ''} started (weight ${e.weight})`);
        break;
      case 'drain': {
        const hit = this.pick(e.servers, e.pick);
        for (const s of hit) this.fleet.drain(s.id);
        this.mark(now, 'drain', `drain ${hit.map((s) => s.id).join(', ') || '(no server up)'}`);
        break;
      }
      case 'flash-crowd': {
        const zone = zoneOf(e.zone);
        const end = now + e.rampS + e.holdS;
        this.traffic.addBurst(zone, e.players, now, e.rampS, end);
        this.setPull(zone, `crowd@${now}`, e.pull);
        this.later.push({ at: end, run: () => this.setPull(zone, `crowd@${now}`, 1) });
        this.crowds.push({ zone, start: now, end });
        this.mark(now, 'flash-crowd', `flash crowd: ${e.players} players into zone ${zone}`);
        this.later.push({ at: end, run: () => this.mark(end, 'flash-crowd', `flash crowd in zone ${zone} ends`) });
        break;
      }
      case 'hot-zone': {
        const zone = zoneOf(e.zone);
        const key = `heat@${now}`;
        this.ramps.push({ from: 1, to: e.factor, start: now, end: now + e.rampS, apply: (v) => this.setPull(zone, key, v) });
        this.mark(now, 'hot-zone', `zone ${zone} heats up to ×${e.factor} over ${e.rampS} s`);
        break;
      }
      case 'dominant-zone': {
        const zone = zoneOf(e.zone);
        this.ramps.push({ from: 0, to: e.share, start: now, end: now + e.rampS, apply: (v) => this.traffic.setSpawn(zone, v) });
        this.mark(now, 'dominant-zone', `zone ${zone} becomes the capital (${Math.round(e.share * 100)} % of arrivals)`);
        break;
      }
      case 'balancer-restart':
        this.restartBalancer();
        this.mark(now, 'restart', 'the balancer restarts: servers register again with their load');
        break;
      case 'outage': {
        const all = this.fleet.servers.filter((s) => s.phase === 'booting' || s.phase === 'up' || s.phase === 'draining');
        for (const s of all) this.fleet.crash(s);
        this.mark(now, 'outage', `outage: all ${all.length} servers down for ${e.durationS} s`);
        const back = now + e.durationS;
        this.later.push({
          at: back,
          run: () => {
            for (const s of all) this.fleet.start(1, s.weight);
            this.mark(back, 'recover', `${all.length} servers restarting`);
          },
        });
        break;
      }
    }
  }

  /** Servers taking players now. */
  private serving(): SimServer[] {
    return this.fleet.servers.filter((s) => s.phase === 'up');
  }

  private pick(count: number, how: 'busiest' | 'random'): SimServer[] {
    const pool = this.serving();
    if (how === 'busiest') return pool.sort((a, b) => b.players - a.players || a.index - b.index).slice(0, count);
    const out: SimServer[] = [];
    while (out.length < count && pool.length > 0) out.push(pool.splice(this.rng.int(pool.length), 1)[0]!);
    return out;
  }

  private setPull(zone: number, source: string, factor: number): void {
    let m = this.pulls.get(zone);
    if (!m) this.pulls.set(zone, (m = new Map()));
    if (factor === 1) m.delete(source);
    else m.set(source, factor);
    let product = 1;
    for (const f of m.values()) product *= f;
    this.traffic.setAttraction(zone, product);
  }
}
