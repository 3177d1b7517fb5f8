/**
 * What a scenario is: the world (zones, players), the fleet (servers and their true costs), the
 * engine options zonelb runs with, its autoscaler and hot-zone monitor, and a timeline of
 * events. Built-in scenarios and users' JSON files go through this one schema, with the
 * defaults in one place; errors name the field.
 */
import { z } from 'zod';
import { resolveOptions } from '../core/options.ts';

const at = z.number().min(0).describe('seconds from the start of the run');
/** Omitted: the zone with the highest base popularity (the world's busiest place). */
const zone = z.number().int().min(0).optional();
/** Which servers an event hits: the busiest (worst case), or chosen at random by the seed. */
const pick = z.enum(['busiest', 'random']).default('busiest');

export const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('crash'), at, servers: z.number().int().min(1).default(1), pick }).strict(),
  /** A share of the fleet crashes at once (rounded up, at least one server). */
  z.object({ type: z.literal('crash-storm'), at, fraction: z.number().gt(0).max(1).default(0.1), pick: z.enum(['busiest', 'random']).default('random') }).strict(),
  /** Servers are started; each takes the fleet's boot delay before it can take players. */
  z.object({ type: z.literal('join'), at, servers: z.number().int().min(1).default(1), weight: z.number().gt(0).max(1000).default(1) }).strict(),
  /** Servers leave gracefully: no new joins, their players re-placed, then removed. */
  z.object({ type: z.literal('drain'), at, servers: z.number().int().min(1).default(1), pick }).strict(),
  /** A world boss: `players` extra players rush into one zone over `rampS`, stay `holdS`, leave. */
  z
    .object({
      type: z.literal('flash-crowd'),
      at,
      zone,
      players: z.number().int().min(1),
      rampS: z.number().positive().default(60),
      holdS: z.number().positive().default(300),
      /** Walkers nearby are drawn in too: the zone's attraction is multiplied by this while it lasts. */
      pull: z.number().min(1).default(20),
    })
    .strict(),
  /** A zone grows popular slowly: its attraction rises linearly to `factor` over `rampS` and stays. */
  z.object({ type: z.literal('hot-zone'), at, zone, factor: z.number().min(1).default(10), rampS: z.number().positive().default(600) }).strict(),
  /**
   * One zone becomes the world's capital: a share of the arrivals, rising to `share` over
   * `rampS`, start there and stay for their whole session, so it comes to hold about that
   * share of the world.
   */
  z.object({ type: z.literal('dominant-zone'), at, zone, share: z.number().gt(0).lt(1).default(0.4), rampS: z.number().positive().default(300) }).strict(),
  /** Every server crashes; after `durationS` as many start again (with their boot delay). */
  z.object({ type: z.literal('outage'), at, durationS: z.number().positive() }).strict(),
  /**
   * The balancer restarts (a deploy, or a crash of its host): it forgets every player, its
   * line and its learning; the servers register again with their load and keep their players.
   * Strategies without state of their own beyond what the simulator holds are unaffected.
   */
  z.object({ type: z.literal('balancer-restart'), at }).strict(),
]);

const gridSchema = z.object({ width: z.number().int().min(1).max(1000), height: z.number().int().min(1).max(1000) }).strict();

const worldSchema = z
  .object({
    /** Zones on a grid, each adjacent to its 4 neighbours (the default: 10 × 10). */
    grid: gridSchema.optional(),
    /** Or a map: zone id → neighbouring zone ids (both directions are taken as walkable). */
    map: z.record(z.string().regex(/^\d+$/, 'zone ids are non-negative integers'), z.array(z.number().int().min(0))).optional(),
    /** Mean population the arrivals sustain (before the daily curve). */
    players: z.number().int().min(1).max(2_000_000).default(3000),
    /** The starting population connects over this many seconds. */
    warmupS: z.number().min(0).default(300),
    /** Session length: log-normal with this median (seconds) and shape. */
    sessionMedianS: z.number().positive().default(1500),
    sessionSigma: z.number().min(0).max(3).default(0.8),
    /**
     * Share of sessions interrupted once by a dropped connection (at a uniform moment of the
     * session): the player is gone for an exponential time of mean `reconnectMeanS`, then comes
     * back to the zone it was in and plays on. The rest end by logging out.
     */
    dropShare: z.number().min(0).max(1).default(0.1),
    reconnectMeanS: z.number().positive().default(10),
    /** Mean time a player stays in a zone before walking to a neighbouring one. */
    dwellMeanS: z.number().positive().default(120),
    /** Popularity of zones: Zipf exponent over a seeded shuffle of the zones (0 = all equal). */
    popularitySkew: z.number().min(0).max(3).default(0.7),
    /** Daily curve of arrivals: rate × (1 + amplitude × cos(2π (time of day − peak) / day)). */
    dailyAmplitude: z.number().min(0).max(1).default(0.3),
    /**
     * Or a daily profile: arrival-rate multipliers at each of N evenly spaced times of day
     * (24 values: one an hour), joined by straight lines. Replaces the cosine when given.
     */
    dailyProfile: z.array(z.number().min(0).max(100)).min(2).max(1440).optional(),
    dayS: z.number().positive().default(86_400),
    peakS: z.number().min(0).default(75_600),
    /** Time of day at the start of the run. */
    startS: z.number().min(0).default(64_800),
  })
  .strict()
  .refine((w) => !(w.grid && w.map), { message: 'give either grid or map, not both' });

const fleetSchema = z
  .object({
    servers: z.number().int().min(0).max(10_000).default(16),
    /** Weights of the starting servers, cycled (e.g. [1, 2] alternates small and big ones). */
    weights: z.array(z.number().gt(0).max(1000)).min(1).default([1]),
    /** Seconds from asking for a server until it can take players. */
    bootDelayS: z.number().min(0).default(30),
    /** Player cap of a weight-1 server (zonelb's limits.playersPerServer; baselines that know a cap use it). */
    playersPerServer: z.number().int().min(1).default(400),
    /** True cost model of a weight-1 server: usage = base + perPlayer × players (fractions of the machine). */
    cpuBase: z.number().min(0).max(1).default(0.08),
    cpuPerPlayer: z.number().positive().max(1).default(0.0022),
    memoryBase: z.number().min(0).max(1).default(0.25),
    memoryPerPlayer: z.number().positive().max(1).default(0.0015),
    /** Standard deviation of the noise in each reading a server reports (its true usage has none). */
    cpuNoise: z.number().min(0).max(0.2).default(0.006),
    memoryNoise: z.number().min(0).max(0.2).default(0.002),
    /** Servers differ: each one's per-player cost is scaled by 1 ± up to this fraction. */
    costSpread: z.number().min(0).max(0.9).default(0.1),
    /** A drained server still holding players after this long is removed (its stragglers re-placed). */
    drainTimeoutS: z.number().positive().default(300),
  })
  .strict();

/** zonelb's own defaults: a scenario that leaves an engine setting out runs zonelb as shipped. */
const ENGINE_DEFAULTS = resolveOptions({ shards: 1 });

const engineSchema = z
  .object({
    cpuLimit: z.number().gt(0).max(1).default(ENGINE_DEFAULTS.limits.cpu),
    memoryLimit: z.number().gt(0).max(1).default(ENGINE_DEFAULTS.limits.memory),
    reconnectMs: z.number().min(0).default(ENGINE_DEFAULTS.reconnectMs),
    suspectAfterMs: z.number().positive().default(ENGINE_DEFAULTS.suspectAfterMs),
    deadAfterMs: z.number().positive().default(ENGINE_DEFAULTS.deadAfterMs),
    whenFull: z.enum(['queue', 'refuse']).default(ENGINE_DEFAULTS.whenFull),
    /** zonelb's merge hysteresis and bounded-load slack. */
    mergeBelow: z.number().gt(0).max(1).default(ENGINE_DEFAULTS.mergeBelow),
    boundedLoadEpsilon: z.number().min(0).max(10).default(ENGINE_DEFAULTS.boundedLoadEpsilon),
    /** Tell zonelb the map's adjacency (true), or let it learn neighbours from moves (false). */
    adjacency: z.boolean().default(true),
  })
  .strict();

const baselineSchema = z
  .object({
    /** Players per room for least-rooms (Colyseus maxClients). */
    roomCapacity: z.number().int().min(1).default(100),
    /** Load slack of consistent hashing with bounded loads. */
    epsilon: z.number().min(0).max(10).default(0.25),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    description: z.string().default(''),
    durationS: z.number().positive().max(30 * 86_400).default(3600),
    /** Simulated seconds per tick: heartbeats, engine ticks and measurements happen once a tick. */
    tickS: z.number().positive().max(60).default(1),
    /** Seconds between the points kept for the charts (each point sums or takes the worst of its window). */
    sampleS: z.number().positive().default(10),
    /** Metrics count from this time on (a warm-up the summary leaves out; the charts show it). */
    measureFromS: z.number().min(0).default(0),
    /** A player refused a seat tries again after this long, while its session lasts. */
    retryS: z.number().positive().default(10),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Strategies run when the command line names none (default: all). */
    strategies: z.array(z.string()).min(1).optional(),
    world: worldSchema.prefault({}),
    fleet: fleetSchema.prefault({}),
    engine: engineSchema.prefault({}),
    /**
     * zonelb's autoscaler and hot-zone monitor: the `scale` options of `zonelb serve`
     * (src/scale/scale-options.ts), checked by that schema. The simulator is the provider, the
     * boot delay is fleet.bootDelayS and the forecast season defaults to world.dayS.
     */
    scale: z.looseObject({}).default({}),
    baselines: baselineSchema.prefault({}),
    events: z.array(eventSchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    s.events.forEach((e, i) => {
      if (e.at > s.durationS) ctx.addIssue({ code: 'custom', path: ['events', i, 'at'], message: `is after the end of the run (durationS ${s.durationS})` });
    });
    if (s.engine.deadAfterMs < s.engine.suspectAfterMs) {
      ctx.addIssue({ code: 'custom', path: ['engine', 'deadAfterMs'], message: 'must be at least engine.suspectAfterMs' });
    }
    if (s.measureFromS >= s.durationS) ctx.addIssue({ code: 'custom', path: ['measureFromS'], message: `must be before the end of the run (durationS ${s.durationS})` });
    if (s.sampleS < s.tickS) ctx.addIssue({ code: 'custom', path: ['sampleS'], message: `must be at least tickS (${s.tickS})` });
    for (const key of ['bootDelayMs', 'provider', 'webhook']) {
      if (key in s.scale) {
        const why = key === 'bootDelayMs' ? 'set fleet.bootDelayS instead' : 'the simulator is the provider';
        ctx.addIssue({ code: 'custom', path: ['scale', key], message: `is not a scenario option (${why})` });
      }
    }
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioEvent = z.output<typeof eventSchema>;
