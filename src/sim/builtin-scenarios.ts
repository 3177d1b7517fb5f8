/**
 * The built-in scenarios: one for each kind of event the simulator knows, a quiet evening to
 * compare them with, and the two that show dynamic scaling (a daily cycle under the
 * autoscaler, a flash crowd under the hot-zone monitor). Each is a plain scenario file's
 * content: `zonelb sim --scenario crash` and a JSON file holding the same object do the same.
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
  'daily-cycle': {
    name: 'daily-cycle',
    description:
      'Three days of a game whose players come in the afternoon and evening, with a daily event at 20:00 that brings a rush of arrivals; new servers take 5 minutes to boot. zonelb with its starting fleet of 12 servers kept as is, with its reactive autoscaler, and with its predictive one (which learns the daily shape over the first two days); measured on the third day.',
    durationS: 3 * 86_400,
    tickS: 2,
    sampleS: 300,
    measureFromS: 2 * 86_400,
    strategies: ['zonelb', 'zonelb-reactive', 'zonelb-predictive'],
    world: { players: 2000, startS: 0, dailyProfile: dailyEventProfile() },
    fleet: { servers: 12, bootDelayS: 300 },
    scale: { min: 2, max: 60, scaleInCooldownMs: 600_000 },
  },
};

/**
 * Arrival rate by quarter of an hour over a day (× the world's mean rate): lowest at 04:00,
 * highest in the late afternoon, and a daily event at 20:00 that brings four and a half times
 * the usual arrivals for a quarter of an hour, then fades out by 21:00.
 */
function dailyEventProfile(): number[] {
  const out: number[] = [];
  for (let q = 0; q < 96; q++) {
    const h = q / 4;
    out.push(Math.round((0.8 - 0.55 * Math.cos((2 * Math.PI * (h - 4)) / 24)) * 100) / 100);
  }
  const event: Record<number, number> = { 80: 4.5, 81: 4.5, 82: 2, 83: 1.5 };
  for (const [q, v] of Object.entries(event)) out[Number(q)] = v;
  return out;
}
