/** The terminal progress bar: one redrawn line on a terminal, a line per finished run elsewhere. */
import { describe, expect, it } from 'vitest';
import { ProgressBar, render } from '../src/sim/progress-bar.ts';

describe('progress bar', () => {
  it('draws the share of all runs done, the runs finished and those under way', () => {
    const line = render([1, 0.5, 0, 0], 1, ['a × zonelb', 'a × ring', 'b × zonelb', 'b × ring'], 100);
    expect(line.startsWith(`[${'█'.repeat(9)}${'░'.repeat(15)}]  37 %  1/4 runs  a × ring`)).toBe(true);
    expect(line).toHaveLength(99);
    expect(render([0.5], 0, ['x'.repeat(200)], 60)).toHaveLength(59);
  });

  it('on a terminal redraws one line, at most ten times a second, and ends it', () => {
    const out: string[] = [];
    let t = 0;
    const bar = new ProgressBar({ isTTY: true, columns: 80, write: (s) => out.push(s) }, ['a', 'b'], () => t);
    bar.update([0.1, 0]);
    t = 50;
    bar.update([0.2, 0]); // too soon: skipped
    t = 150;
    bar.update([0.3, 0.1]);
    bar.update([1, 0.1]); // a run finished: drawn at once
    bar.finish();
    expect(out).toHaveLength(4);
    expect(out.slice(0, 3).every((s) => s.startsWith('\r['))).toBe(true);
    expect(out[2]).toContain('1/2 runs');
    expect(out[3]).toBe('\n');
  });

  it('into a pipe writes a line per finished run and nothing else', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s) => out.push(s) }, ['a × zonelb', 'a × ring']);
    bar.update([0.5, 0.2]);
    bar.update([1, 0.2]);
    bar.update([1, 1]);
    bar.finish();
    expect(out).toEqual(['[1/2] a × zonelb done\n', '[2/2] a × ring done\n']);
  });
});
