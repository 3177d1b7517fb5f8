/**
 * The simulator's scale provider: zonelb's autoscaler asks it for capacity and it starts
 * simulated servers, which boot for the fleet's boot delay before they register with the
 * engine; servers it is asked to release stop. What is booting is known exactly here, so
 * `pending` is the weight of the servers still booting.
 */
import type { FleetControl } from './fleet.ts';
import type { ScaleOutRequest, ScaleProvider } from '../scale/provider.ts';

export class SimScaleProvider implements ScaleProvider {
  readonly name = 'simulator';
  private readonly fleet: FleetControl;
  /** Weight of each server it starts (the autoscaler's serverWeight). */
  private readonly weight: number;
  /** Servers asked for, over the run. */
  started = 0;
  released = 0;

  constructor(fleet: FleetControl, weight: number) {
    this.fleet = fleet;
    this.weight = weight;
  }

  pending(): number {
    let units = 0;
    for (const s of this.fleet.view()) if (s.phase === 'booting') units += s.weight;
    return units;
  }

  scaleOut(req: ScaleOutRequest): Promise<void> {
    const count = Math.ceil(req.add / this.weight - 1e-9);
    this.fleet.start(count, this.weight);
    this.started += count;
    return Promise.resolve();
  }

  release(serverId: string): Promise<void> {
    const s = this.fleet.view().find((x) => x.id === serverId);
    // The autoscaler must only hand back empty servers: players left on one would be cut off.
    if (s && s.players > 0) return Promise.reject(new Error(`the autoscaler released ${serverId} with ${s.players} players still on it`));
    this.fleet.release(serverId);
    this.released++;
    return Promise.resolve();
  }
}
