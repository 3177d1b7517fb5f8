/**
 * What one run reports: its summary (deterministic: the same seed gives the same one), its
 * wall-clock timing (which is not), and the points of its charts.
 */

export interface RunSummary {
  scenario: string;
  strategy: string;
  seed: number;
  durationS: number;
  /** Seconds measured (durationS − measureFromS). */
  measuredS: number;
  players: { peak: number; mean: number; peakZoneShare: number; arrived: number };
  violations: {
    /** Times a server went from within its limits to over one. */
    episodes: number;
    /** Seconds servers spent over a limit, summed over servers; and by limit. */
    serverSeconds: number;
    cpuServerSeconds: number;
    memoryServerSeconds: number;
    capServerSeconds: number;
    /** Players on a server over a limit × seconds. */
    playerSeconds: number;
    /** Highest utilisation any server reached (1 = at a limit; CPU, memory or cap, whichever is nearest). */
    worstUtilisation: number;
  };
  joins: {
    /** Join attempts (a refused player's retries count again). */
    total: number;
    placed: number;
    queued: number;
    refused: number;
    /** Joins refused or queued while some server, by its true usage, had room for one more player. */
    deniedWhileRoom: number;
    /** ... and the seats the fleet had left then, on average (a few: limits within noise of the truth; many: room left unused). */
    freeSeatsWhenDenied: number;
    /**
     * Joins refused or queued while the strategy's own admission limits had a seat any new
     * join could take: a seat stranded by placement, queue order or tick lag (null: the
     * strategy has no admission limits to tell; baselines).
     */
    deniedWhileAdmissible: number | null;
    /**
     * At the joins denied while room (those freeSeatsWhenDenied averages over), the seats free
     * by the strategy's own limits, on average: takeable by any join, held for reconnecting
     * players, held for hot zones (null: baselines). What the true free seats exceed their sum
     * by, the limits kept back (their noise margin, cold starts, servers not taking joins).
     */
    limitSeatsWhenDenied: { takeable: number | null; reconnect: number | null; hot: number | null };
    /** Queued players seated later. */
    admitted: number;
    /** Players back from a dropped connection (their joins count above too), and those seated on the server they had. */
    returned: number;
    returnedToServer: number;
  };
  fragmentation: {
    /** Mean over ticks of Σ servers hosting each zone / Σ servers each zone's population needs (1 = ideal). */
    mean: number;
    max: number;
  };
  /** A placed player walking into another zone. */
  crossings: number;
  /** ... and landing on another server for it. */
  handoffs: number;
  /** handoffs / crossings. */
  handoffRate: number;
  /** Players moved without asking: off draining servers (rebalancing), off crashed ones, or left without a seat. */
  moved: { drain: number; failover: number; lost: number };
  failover: {
    crashes: number;
    /** Seconds from a crash until its server holds no player (detection included). */
    meanS: number;
    maxS: number;
    /** Players sitting on crashed servers × seconds. */
    strandedPlayerSeconds: number;
  };
  /** Max over weighted mean utilisation of the servers taking players (1 = perfectly even). */
  imbalance: { mean: number; p95: number };
  serverHours: number;
  /** Servers taking players: fewest, most, mean over time. */
  servers: { min: number; max: number; mean: number };
  zones: { splits: number; merges: number };
  hotZones: {
    flagged: number;
    cooled: number;
    /** Seconds from the first flash crowd's start to its zone being flagged hot (null: never). */
    detectS: number | null;
    /** Seconds from that crowd's end to its zone being un-flagged (null: never). */
    coolS: number | null;
  };
  scale: { decisions: number; started: number; released: number };
}

/** Wall-clock figures: they vary run to run, so they stay out of the summary that determinism is checked on. */
export interface RunTiming {
  /** Decision latency of join and move calls, microseconds. */
  latencyUs: { count: number; p50: number; p99: number; p999: number; max: number };
  /** Longest re-placement of a crashed server's players (wall clock, ms). */
  failoverWallMs: number;
  wallMs: number;
}

/** Chart points, one column per measure; each point covers the `sampleS` before it. */
export interface RunSeries {
  t: number[];
  /** Players in the world, and placed on live servers (at the point). */
  players: number[];
  placed: number[];
  /** Queued, waiting to retry, or stranded on a crashed server (at the point). */
  unplaced: number[];
  /** Servers taking players (at the point). */
  servers: number[];
  /** Highest utilisation of any server in the window; mean utilisation at the point. */
  maxUtil: number[];
  meanUtil: number[];
  /** Most servers over a limit at once in the window. */
  violating: number[];
  /** Joins refused or queued in the window. */
  denied: number[];
  /** Handoffs in the window. */
  handoffs: number[];
  /** Mean fragmentation in the window. */
  fragmentation: number[];
}

export const SERIES_KEYS = ['players', 'placed', 'unplaced', 'servers', 'maxUtil', 'meanUtil', 'violating', 'denied', 'handoffs', 'fragmentation'] as const;
