/**
 * The provider behind the Agones endpoint. Agones pulls: every sync period its FleetAutoscaler
 * POSTs a review to POST /v1/autoscale/agones and reads the replica count back (the
 * autoscaler's latest decision, see agones-webhook.ts), so scaling out is counting the capacity
 * asked for as pending until the new game servers register or the boot delay plus one Agones
 * sync has passed. Releasing a drained server needs no call: once it is removed the count the
 * endpoint answers drops by its weight, and Agones deletes a Ready (empty) game server, never an
 * Allocated one.
 */
import { PendingRequests, type FleetView, type ScaleOutRequest, type ScaleProvider } from './provider.ts';

export class AgonesProvider implements ScaleProvider {
  readonly name = 'agones';
  private readonly requests: PendingRequests;
  private lastFleet: FleetView = { units: 0, ids: new Set() };
  private wanted: number | undefined;

  constructor(pendingExpireMs: number) {
    this.requests = new PendingRequests(pendingExpireMs);
  }

  pending(now: number, fleet: FleetView): number {
    this.lastFleet = fleet;
    return this.requests.pending(now, fleet);
  }

  /** The total capacity the last scale-out asked for (the endpoint answers the autoscaler's current target instead: see agonesTargetUnits). */
  desired(): number | undefined {
    return this.wanted;
  }

  scaleOut(req: ScaleOutRequest): Promise<void> {
    this.wanted = req.desired;
    this.requests.add(req.at, req.add, this.lastFleet);
    return Promise.resolve();
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}
