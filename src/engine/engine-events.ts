/**
 * Control-plane events: the rare things an operator wants to see one line about (a server
 * joined, drained, went silent, was declared dead; a zone split or merged; a hot zone; a scale
 * decision). Never one per join. Logs, metrics, the dashboard and the simulator's timeline
 * all read this one stream.
 *
 * `at` is the engine's clock (milliseconds; virtual under the simulator).
 */
export type EngineEvent =
  | { type: 'server-registered'; at: number; serverId: string; weight: number }
  /** A suspect server sent a heartbeat again, or re-registered. */
  | { type: 'server-recovered'; at: number; serverId: string }
  | { type: 'server-draining'; at: number; serverId: string }
  /** Heartbeats are late: the server takes no new joins until one arrives. */
  | { type: 'server-suspect'; at: number; serverId: string }
  /** Declared dead by the failure detector; `players` were re-placed in `failoverMs` (wall clock). */
  | { type: 'server-dead'; at: number; serverId: string; players: number; lost: number; failoverMs: number }
  /** Taken out by the operator; `players` it still held were re-placed. */
  | { type: 'server-removed'; at: number; serverId: string; players: number }
  /** A zone grew onto one more server (`servers` is the count after). */
  | { type: 'zone-split'; at: number; zone: number; servers: number }
  /** A zone closed one of its servers to new joins (`servers` is the count still open). */
  | { type: 'zone-merged'; at: number; zone: number; servers: number }
  /** A zone's join rate rose far above its own baseline (`hot`), or fell back (`!hot`). */
  | { type: 'hot-zone'; at: number; zone: number; hot: boolean; joinRate: number; baseline: number }
  /** The autoscaler changed its desired fleet capacity. */
  | {
      type: 'scale';
      at: number;
      desired: number;
      actual: number;
      mode: 'reactive' | 'predictive';
      reason: string;
    };

export type EngineEventType = EngineEvent['type'];
export type EngineEventListener = (event: EngineEvent) => void;

/** Fan-out of events to listeners. A listener that throws is cut off from nothing else. */
export class EventHub {
  private readonly listeners = new Set<EngineEventListener>();
  private readonly onListenerError: (error: unknown, event: EngineEvent) => void;

  constructor(onListenerError: (error: unknown, event: EngineEvent) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  on(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        // The engine must keep working whatever an observer does.
        this.onListenerError(e, event);
      }
    }
  }
}
