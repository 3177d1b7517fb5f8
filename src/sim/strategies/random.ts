import { Baseline } from './baseline.ts';

/** Each join to a server drawn at random, in proportion to its weight. */
export class RandomChoice extends Baseline {
  readonly name = 'random';

  protected choose(): number {
    return pickWeighted(this.open, this.ctx.rng.next());
  }
}

/** The server at fraction `u` of the open servers' total weight. */
export function pickWeighted(open: readonly { index: number; weight: number }[], u: number): number {
  let total = 0;
  for (const s of open) total += s.weight;
  let x = u * total;
  for (const s of open) {
    x -= s.weight;
    if (x < 0) return s.index;
  }
  return open[open.length - 1]!.index;
}
