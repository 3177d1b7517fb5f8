import { Baseline, loadOf } from './baseline.ts';

/** Each join to the server with the fewest players per unit of weight. */
export class LeastLoaded extends Baseline {
  readonly name = 'least-loaded';

  protected choose(): number {
    let best = this.open[0]!;
    for (const s of this.open) if (loadOf(s) < loadOf(best)) best = s;
    return best.index;
  }
}
