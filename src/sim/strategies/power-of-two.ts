import { Baseline, loadOf } from './baseline.ts';
import { pickWeighted } from './random.ts';

/** Power of two choices: two servers drawn at random (by weight), the less loaded wins. */
export class PowerOfTwo extends Baseline {
  readonly name = 'p2c';

  protected choose(): number {
    const servers = this.ctx.servers;
    const a = servers[pickWeighted(this.open, this.ctx.rng.next())]!;
    const b = servers[pickWeighted(this.open, this.ctx.rng.next())]!;
    return loadOf(b) < loadOf(a) ? b.index : a.index;
  }
}
