/**
 * What a strategy's control plane reports during a run (zonelb's engine events): lines for the
 * report's timeline, the counts the summary needs (splits, merges, scale decisions, the
 * longest failover), the hot-zone flags, and the fleet's view of the autoscaler's drains.
 */
import type { EngineEvent } from '../engine/types.ts';
import type { Fleet } from './fleet.ts';
import type { RunMetrics } from './metrics.ts';
import type { RunSummary } from './run-summary.ts';
import type { CrowdWindow, Mark } from './timeline.ts';

export class ControlEvents {
  readonly marks: Mark[] = [];
  scaleDecisions = 0;
  private readonly hot: { zone: number; t: number; hot: boolean }[] = [];

  constructor(
    private readonly metrics: RunMetrics,
    private readonly fleet: Fleet,
  ) {}

  observe(e: EngineEvent): void {
    const t = e.at / 1000;
    const m = this.metrics;
    switch (e.type) {
      case 'zone-split':
        if (m.measuring) m.splits++;
        break;
      case 'zone-merged':
        if (m.measuring) m.merges++;
        break;
      case 'server-draining':
        // The autoscaler drains through the engine: the fleet notes it (a scenario drain is already noted).
        if (this.fleet.get(e.serverId)?.phase === 'up') this.fleet.drainedBy(e.serverId);
        break;
      case 'server-dead':
        this.marks.push({ t, kind: 'detected', label: `${e.serverId} declared dead: ${e.players} players re-placed or queued, ${e.lost} lost`, source: 'engine' });
        if (e.failoverMs > m.failoverWallMs) m.failoverWallMs = e.failoverMs;
        break;
      case 'hot-zone':
        this.hot.push({ zone: e.zone, t, hot: e.hot });
        this.marks.push({ t, kind: e.hot ? 'hot' : 'cool', label: `zone ${e.zone} ${e.hot ? 'flagged hot' : 'cooled'} (${e.joinRate.toFixed(1)} joins/s, baseline ${e.baseline.toFixed(1)})`, source: 'engine' });
        break;
      case 'scale':
        this.scaleDecisions++;
        this.marks.push({ t, kind: 'scale', label: `${e.mode}: want ${e.desired} (have ${e.actual}): ${e.reason}`, source: 'engine', minor: true });
        break;
      default:
        break;
    }
  }

  /** Flags in all, and how long the first crowd's zone took to be flagged and to cool. */
  hotZoneSummary(crowds: readonly CrowdWindow[]): RunSummary['hotZones'] {
    let flagged = 0;
    let cooled = 0;
    for (const h of this.hot) {
      if (h.hot) flagged++;
      else cooled++;
    }
    const crowd = crowds[0];
    let detectS: number | null = null;
    let coolS: number | null = null;
    if (crowd) {
      const hot = this.hot.find((h) => h.hot && h.zone === crowd.zone && h.t >= crowd.start);
      if (hot) {
        detectS = round3(hot.t - crowd.start);
        const cool = this.hot.find((h) => !h.hot && h.zone === crowd.zone && h.t >= hot.t);
        if (cool) coolS = round3(cool.t - crowd.end);
      }
    }
    return { flagged, cooled, detectS, coolS };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
