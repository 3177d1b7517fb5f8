/**
 * The built-in scenarios: one for each kind of event the simulator knows, a quiet evening to
 * compare them with, and those that show dynamic scaling (a daily cycle under the autoscaler,
 * at two targets, and a flash crowd under the hot-zone monitor). Each is a plain scenario
 * file's content: `zonelb sim --scenario crash` and a JSON file holding the same object do the
 * same.
 *
 * Unless they say otherwise: a 10 × 10 grid of zones, about 3000 players (sessions of 25 min
 * median, a zone walked to every 2 min or so, a few busy zones and many quiet ones), 16
 * servers of up to 400 players whose CPU reaches 80 % at about 330, one hour from 18:00.
 */
import type { ScenarioInput } from './scenario-schema.ts';

export const BUILTIN_SCENARIOS: Readonly<Record<string, ScenarioInput>> = {
  steady: {
    name: 'steady',
    description: 'An ordinary evening: players arrive, walk and leave; nothing goes wrong. The reference for the others.',
  },
  crash: {
    name: 'crash',
    description: 'The busiest server crashes 20 minutes in; its players must be re-placed at once.',
    events: [{ type: 'crash', at: 1200, pick: 'busiest' }],
  },
  'crash-storm': {
    name: 'crash-storm',
    description: '10 % of a 20-server fleet (mixed sizes) crashes at once, 20 minutes in.',
    fleet: { servers: 20, weights: [1, 1, 2] },
    world: { players: 4500 },
    events: [{ type: 'crash-storm', at: 1200, fraction: 0.1, pick: 'random' }],
  },
  'servers-join': {
    name: 'servers-join',
    description: 'The evening outgrows 11 servers; 6 more are started 10 minutes in and take players after their 30 s boot.',
    fleet: { servers: 11 },
    world: { players: 3300 },
    events: [{ type: 'join', at: 600, servers: 6 }],
  },
  drain: {
    name: 'drain',
    description: 'Three servers are drained for maintenance 20 minutes in: no new joins, players moved where there is room, removed once empty.',
    events: [{ type: 'drain', at: 1200, servers: 3, pick: 'random' }],
  },
  'world-boss': {
    name: 'world-boss',
    description: 'A world boss spawns in the busiest zone 20 minutes in: 1500 extra players rush in over a minute and stay five.',
    events: [{ type: 'flash-crowd', at: 1200, players: 1500, rampS: 60, holdS: 300 }],
  },
  'hot-zone-flash': {
    name: 'hot-zone-flash',
    description:
      'A flash crowd into a quiet corner zone (zone 0): 1200 players in 30 s, staying four minutes. The hot-zone monitor should flag it within seconds, pre-split it and hold seats for it, and lift the plan once it cools.',
    events: [{ type: 'flash-crowd', at: 1200, zone: 0, players: 1200, rampS: 30, holdS: 240 }],
  },
  'heating-zone': {
    name: 'heating-zone',
    description: 'A zone slowly becomes the place to be: its pull on arrivals and walkers rises eightfold over 30 minutes and stays.',
    durationS: 5400,
    events: [{ type: 'hot-zone', at: 600, factor: 8, rampS: 1800 }],
  },
  capital: {
    name: 'capital',
    description: 'One zone becomes the capital: from 5 minutes in, 40 % of arrivals start there and stay, until it holds about 40 % of the world.',
    durationS: 7200,
    events: [{ type: 'dominant-zone', at: 300, share: 0.4, rampS: 300 }],
  },
  outage: {
    name: 'outage',
    description: 'Every server goes down 20 minutes in; two minutes later they restart (30 s boot). A period with no servers at all.',
    events: [{ type: 'outage', at: 1200, durationS: 120 }],
  },
  'balancer-restart': {
    name: 'balancer-restart',
    description:
      'zonelb itself restarts 20 minutes in (a deploy): it forgets every player, its line and what it learnt; the servers register again with their load and keep their players. The baselines hold no such state and are unaffected.',
    events: [{ type: 'balancer-restart', at: 1200 }],
  },
  'daily-cycle': {
    name: 'daily-cycle',
    description:
      'Three days of a game whose players come in the afternoon and evening, with a raid that opens at 20:00 every day: players log in over the ten minutes before it and the world more than doubles between 19:50 and 20:05; new servers take 5 minutes to boot. zonelb with its starting fleet of 12 servers kept as is, with its reactive autoscaler, and with its predictive one (which learns the day over the first two), both aiming at 70 % utilisation; measured on the third day.',
    ...dailyCycle(),
    strategies: ['zonelb', 'zonelb-reactive', 'zonelb-predictive'],
  },
  'daily-cycle-lean': {
    name: 'daily-cycle-lean',
    description:
      'The days of daily-cycle with both autoscalers aiming at 80 % utilisation instead of 70 %: less idle headroom, so fewer server-hours, if the policy can still have the raid\'s servers booted in time.',
    ...dailyCycle(),
    strategies: ['zonelb-reactive', 'zonelb-predictive'],
    scale: { ...dailyCycle().scale, target: 0.8 },
  },
};

/**
 * The world, fleet and clock of the daily-cycle scenarios: three days from midnight at 2 s a
 * tick, measured on the third (the predictive autoscaler learns the day over the first two),
 * 2000 players on the day's mean, 12 servers to start, servers that take 5 minutes to boot
 * (a virtual machine and the game server loading its world).
 */
function dailyCycle(): Pick<ScenarioInput, 'durationS' | 'tickS' | 'sampleS' | 'measureFromS' | 'world' | 'fleet' | 'scale'> {
  return {
    durationS: 3 * 86_400,
    tickS: 2,
    sampleS: 300,
    measureFromS: 2 * 86_400,
    world: { players: 2000, startS: 0, dailyProfile: raidNightProfile() },
    fleet: { servers: 12, bootDelayS: 300 },
    scale: { min: 2, max: 60, scaleInCooldownMs: 600_000 },
  };
}

/**
 * Arrival rate every five minutes of a day (× the world's mean rate, joined by straight lines):
 * lowest at 04:00, highest in the late afternoon, and a raid that opens at 20:00. Its players
 * log in over the ten minutes before it: the rate climbs from the usual at 19:50 to seven times
 * it at the opening and falls back over the next 45 minutes. The world grows by about 40 % in
 * the five minutes before 20:00 and a third in the five after: faster than a reactive policy's
 * headroom covers while servers boot (scaling out at target + band, it has room for a rise of
 * 1 / (target + band) − 1 = 25 % per boot delay at the default target), where the rest of the
 * day rises by 5 % in five minutes at most.
 */
function raidNightProfile(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 288; i++) {
    const h = i / 12;
    out.push(Math.round((0.8 - 0.55 * Math.cos((2 * Math.PI * (h - 4)) / 24)) * 100) / 100);
  }
  const raid = [3.5, 7, 5, 3.5, 2.5, 2, 1.7, 1.5, 1.4, 1.3]; // 19:55, 20:00, ... 20:40
  raid.forEach((v, k) => (out[20 * 12 - 1 + k] = v));
  return out;
}
