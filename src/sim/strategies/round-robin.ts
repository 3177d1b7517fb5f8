import { Baseline } from './baseline.ts';

/** Each join to the next server in turn. */
export class RoundRobin extends Baseline {
  readonly name = 'round-robin';
  private cursor = 0;

  protected choose(): number {
    if (this.cursor >= this.open.length) this.cursor = 0;
    return this.open[this.cursor++]!.index;
  }
}
