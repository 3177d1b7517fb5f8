import type { ResultSink } from './types.ts';

const NO_ARGS: [] = [];

/**
 * Tells a sink its answers are written. Through Reflect.apply, not `sink.done()`: the
 * optimising compiler inlines a plain call to the one `done` it has seen, guarded by a check
 * of the target, and a caller alternating sinks with different `done` closures can then send
 * submit back to the interpreter again and again (seen: a harness alternating a join sink and
 * a leave sink, one deoptimisation per four batches, for as long as it ran). Reflect.apply
 * does not speculate on its target.
 */
export function sinkDone(sink: ResultSink): void {
  Reflect.apply(sink.done, sink, NO_ARGS);
}
