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
  /** Weight of each registered server (the autoscaler always passes it). */
  weights?: ReadonlyMap<string, number>;
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
 * up must not block scaling out for ever). New capacity is the weight of servers that were not
 * registered when the first outstanding request was made, so servers drained and removed
 * meanwhile (a scale-in while others boot) do not hide the ones that arrived.
 */
export class PendingRequests {
  private readonly requests: { at: number; units: number }[] = [];
  private baseline: number | undefined;
  private known: ReadonlySet<string> | undefined;

  constructor(private readonly expireMs: number) {}

  /** `fleet`: what is registered when the request is made (a number: its capacity only). */
  add(at: number, units: number, fleet: FleetView | number): void {
    if (this.requests.length === 0) {
      this.baseline = typeof fleet === 'number' ? fleet : fleet.units;
      this.known = typeof fleet === 'number' || fleet.weights === undefined ? undefined : new Set(fleet.ids);
    }
    this.requests.push({ at, units });
  }

  /** `fleet`: what is registered now (a number: its capacity only). */
  pending(now: number, fleet: FleetView | number): number {
    while (this.requests.length > 0 && now - this.requests[0]!.at >= this.expireMs) this.requests.shift();
    if (this.requests.length === 0) {
      this.baseline = undefined;
      this.known = undefined;
      return 0;
    }
    let asked = 0;
    for (const r of this.requests) asked += r.units;
    const arrived = this.arrived(fleet);
    if (arrived >= asked) {
      this.requests.length = 0;
      this.baseline = undefined;
      this.known = undefined;
      return 0;
    }
    return asked - arrived;
  }

  private arrived(fleet: FleetView | number): number {
    if (typeof fleet !== 'number' && fleet.weights !== undefined && this.known !== undefined) {
      let units = 0;
      for (const [id, w] of fleet.weights) if (!this.known.has(id)) units += w;
      return units;
    }
    const units = typeof fleet === 'number' ? fleet : fleet.units;
    return Math.max(0, units - (this.baseline ?? units));
  }
}
