/**
 * The provider behind the Agones endpoint. Agones pulls: every sync period its FleetAutoscaler
 * POSTs a review to POST /v1/autoscale/agones and reads the replica count back, so scaling out
 * is remembering the capacity wanted (the endpoint answers it), and counting it as pending until
 * the new game servers register or the boot delay plus one Agones sync has passed. Releasing a
 * drained server needs no call: the replica count the endpoint answers already dropped, and
 * Agones deletes Ready (empty) game servers first, never Allocated ones.
 */
import { PendingRequests, type FleetView, type ScaleOutRequest, type ScaleProvider } from './provider.ts';

export class AgonesProvider implements ScaleProvider {
  readonly name = 'agones';
  private readonly requests: PendingRequests;
  private lastUnits = 0;
  private wanted: number | undefined;

  constructor(pendingExpireMs: number) {
    this.requests = new PendingRequests(pendingExpireMs);
  }

  pending(now: number, fleet: FleetView): number {
    this.lastUnits = fleet.units;
    return this.requests.pending(now, fleet.units);
  }

  desired(): number | undefined {
    return this.wanted;
  }

  scaleOut(req: ScaleOutRequest): Promise<void> {
    this.wanted = req.desired;
    this.requests.add(req.at, req.add, this.lastUnits);
    return Promise.resolve();
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}
