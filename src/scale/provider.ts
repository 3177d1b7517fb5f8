/**
 * Where scaling decisions go. A provider is told to add capacity and to release servers the
 * autoscaler has drained and removed; it says how much capacity it has asked for that has not
 * registered with the engine yet (booting), which the scaler counts as capacity.
 */
import type { ScaleMode } from './predictive-scaler.ts';

export interface ScaleOutRequest {
  at: number;
  /** Capacity to add (weight units). */
  add: number;
  /** Total capacity wanted, active plus booting (weight units). */
  desired: number;
  /** Capacity active now. */
  actual: number;
  mode: ScaleMode;
  reason: string;
}

/** What the engine has registered (servers not dead), as the provider needs to see it. */
export interface FleetView {
  /** Capacity registered (weight units). */
  units: number;
  ids: ReadonlySet<string>;
}

export interface ScaleProvider {
  readonly name: string;
  /** Capacity asked for and not registered with the engine yet (weight units). */
  pending(now: number, fleet: FleetView): number;
  scaleOut(req: ScaleOutRequest): Promise<void>;
  /** A drained, empty server was removed from the engine: stop it. */
  release(serverId: string, at: number): Promise<void>;
  /** The latest total capacity wanted, for pull-based orchestrators (Agones). */
  desired?(): number | undefined;
}

/**
 * Pending capacity for providers that cannot see servers boot: each request is counted until
 * that much new capacity has registered or `expireMs` has passed (a request that never shows
 * up must not block scaling out for ever).
 */
export class PendingRequests {
  private readonly requests: { at: number; units: number }[] = [];
  private baseline: number | undefined;

  constructor(private readonly expireMs: number) {}

  add(at: number, units: number, registeredUnits: number): void {
    if (this.requests.length === 0) this.baseline = registeredUnits;
    this.requests.push({ at, units });
  }

  /** `registeredUnits`: capacity registered now. */
  pending(now: number, registeredUnits: number): number {
    while (this.requests.length > 0 && now - this.requests[0]!.at >= this.expireMs) this.requests.shift();
    if (this.requests.length === 0) {
      this.baseline = undefined;
      return 0;
    }
    let asked = 0;
    for (const r of this.requests) asked += r.units;
    const arrived = Math.max(0, registeredUnits - (this.baseline ?? registeredUnits));
    if (arrived >= asked) {
      this.requests.length = 0;
      this.baseline = undefined;
      return 0;
    }
    return asked - arrived;
  }
}
