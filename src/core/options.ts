import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseOptions } from './parse-options.ts';
import { MAX_SERVER_SLOTS } from './codes.ts';

/**
 * Every engine option, its default and its rule, in one schema. Options are validated once,
 * at the entry point; the result is frozen and turned into constants before any request.
 */
const limitsSchema = z
  .object({
    /** A server takes no new player once its CPU would reach this fraction (0..1). */
    cpu: z.number().gt(0).max(1).default(0.8),
    /** Same for memory. */
    memory: z.number().gt(0).max(1).default(0.9),
    /** Player cap of a weight-1 server; a server of weight w may hold floor(w × cap). */
    playersPerServer: z.number().int().min(1).max(10_000_000).default(1000),
  })
  .strict();

/**
 * How each server's admission limit is learned from its heartbeats (src/core/admission.ts):
 * how much doubt is kept off the thresholds, how fast old readings fade, and how far a server
 * with no readings of its own is trusted.
 */
const admissionSchema = z
  .object({
    /**
     * Standard deviations of doubt (on the server's usage now and on its cost per player) kept
     * between the usage a limit is predicted to bring and each threshold. 0 trusts the fit as is.
     */
    confidence: z.number().min(0).max(10).default(3),
    /**
     * Heartbeats after which a reading weighs half as much in its server's usage now: how fast
     * the fit follows usage that moves for reasons other than players.
     */
    halfLife: z.number().min(1).max(1_000_000).default(20),
    /** Same for its cost per player, which only a wide spread of player counts pins down. */
    slopeHalfLife: z.number().min(1).max(1_000_000).default(600),
    /**
     * Standard deviation assumed for one CPU or memory reading (fraction of the machine) until
     * the fleet's own readings have measured it.
     */
    readingNoise: z.number().min(0).max(0.5).default(0.01),
    /**
     * How far a new server's cost per player may differ from what the fleet taught (relative
     * standard deviation, added to the spread measured across the fleet).
     */
    priorSpread: z.number().min(0).max(10).default(0.1),
    /**
     * Share of its player cap a server may fill while nothing is known of its cost per player
     * (no heartbeat with players yet, and no server has taught the fleet's cost either).
     */
    coldStart: z.number().gt(0).max(1).default(0.5),
  })
  .strict();

/** Most shards an engine runs. */
const MAX_SHARDS = 64;

/** One shard per core but the caller's own, at least one, at most MAX_SHARDS (see `shards`). */
export function defaultShards(cores = availableParallelism()): number {
  return Math.min(MAX_SHARDS, Math.max(1, cores - 1));
}

export const optionsSchema = z
  .object({
    /**
     * Worker threads; each owns the zones that hash to it. 1 runs the engine on the caller's
     * thread, with no worker. The default leaves a core to the caller's thread (the front end
     * and control plane): on two cores, that is 1, which bench:ws and the demo measured faster
     * on every figure than two workers (bench/RESULTS.md, "Default shard count").
     */
    shards: z.number().int().min(1).max(MAX_SHARDS).default(defaultShards()),
    /** Server slots in the shared table (at most 65536: a handle keeps 16 bits for the slot). */
    maxServers: z.number().int().min(1).max(MAX_SERVER_SLOTS).default(16_384),
    /** Zone ids are integers in [0, maxZones). */
    maxZones: z.number().int().min(1).max(1 << 26).default(1 << 18),
    /** Players (placed, reserved or queued) one shard can hold. Memory is committed lazily. */
    maxPlayers: z.number().int().min(16).max(1 << 27).default(1 << 23),
    /** Most requests in one batch; a bigger batch is refused whole. */
    maxBatch: z.number().int().min(1).max(1 << 20).default(1 << 16),
    limits: limitsSchema.default({ cpu: 0.8, memory: 0.9, playersPerServer: 1000 }),
    admission: admissionSchema.prefault({}),
    /** How long a player that left keeps its seat for a reconnect (0: released at once). */
    reconnectMs: z.number().min(0).max(86_400_000).default(30_000),
    /** A server whose last heartbeat is older than this takes no new joins. */
    suspectAfterMs: z.number().positive().default(3_000),
    /** ... and older than this is declared dead; its players are re-placed. */
    deadAfterMs: z.number().positive().default(5_000),
    /** What a join gets when every server is full. */
    whenFull: z.enum(['queue', 'refuse']).default('queue'),
    /** Most players waiting in line (whole engine); past it joins are refused. */
    queueLimit: z.number().int().min(0).default(100_000),
    /** Bounded-load slack: overflow avoids servers above (1 + ε) × the fleet's mean load. */
    boundedLoadEpsilon: z.number().min(0).max(10).default(0.25),
    /** Consistent-hash ring points per unit of weight. */
    ringPointsPerWeight: z.number().int().min(1).max(1024).default(40),
    /**
     * A split zone closes one of its servers to new joins once its population fits in the
     * others' room at this fraction (hysteresis: a zone only splits when all its servers are full).
     * 0.6 from the simulator: over seeds 1-8 of the built-in scenarios it left zones on fewer
     * servers than 0.5 (fragmentation 1.34 against 1.36), with as many splits and hand-offs.
     */
    mergeBelow: z.number().gt(0).max(1).default(0.6),
    /** Servers kept in the "has room" candidate list, refreshed every tick. */
    roomListSize: z.number().int().min(1).max(MAX_SERVER_SLOTS).default(1024),
    /** Neighbouring zones, for placing an overflowing zone near its neighbours. */
    adjacency: z.record(z.string().regex(/^\d+$/), z.array(z.number().int().min(0))).optional(),
    /** Background work (failure detection, expiries, queue, merges) runs every tickMs. */
    tickMs: z.number().positive().default(100),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.admission.slopeHalfLife < o.admission.halfLife) {
      ctx.addIssue({
        code: 'custom',
        path: ['admission', 'slopeHalfLife'],
        message: `must be at least admission.halfLife (${o.admission.halfLife})`,
      });
    }
    if (o.deadAfterMs < o.suspectAfterMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadAfterMs'],
        message: `must be at least suspectAfterMs (${o.suspectAfterMs})`,
      });
    }
    for (const [zone, list] of Object.entries(o.adjacency ?? {})) {
      const bad = [Number(zone), ...list].find((zid) => zid >= o.maxZones);
      if (bad !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['adjacency', zone],
          message: `zone ${bad} is not below maxZones (${o.maxZones})`,
        });
      }
    }
  });

export type EngineOptionsInput = z.input<typeof optionsSchema>;
export type EngineOptions = Readonly<z.output<typeof optionsSchema>>;

export function resolveOptions(input: EngineOptionsInput = {}): EngineOptions {
  const o = parseOptions(optionsSchema, input);
  return Object.freeze({ ...o, limits: Object.freeze({ ...o.limits }), admission: Object.freeze({ ...o.admission }) });
}
