import type { Logger } from 'pino';
import type { Engine, EngineEvent } from '../engine/types.ts';

type Level = 'info' | 'warn';

/** The message and level of each control-plane event's log line. */
function describe(e: EngineEvent): { level: Level; msg: string } {
  switch (e.type) {
    case 'server-registered':
      return { level: 'info', msg: 'server joined' };
    case 'server-recovered':
      return { level: 'info', msg: 'server recovered' };
    case 'server-draining':
      return { level: 'info', msg: 'server draining' };
    case 'server-suspect':
      return { level: 'warn', msg: 'server suspect: heartbeats late, no new joins' };
    case 'server-dead':
      return { level: 'warn', msg: 'server declared dead, players re-placed' };
    case 'server-removed':
      return { level: 'info', msg: 'server removed' };
    case 'zone-split':
      return { level: 'info', msg: 'zone split onto another server' };
    case 'zone-merged':
      return { level: 'info', msg: 'zone merged back' };
    case 'hot-zone':
      return e.hot ? { level: 'warn', msg: 'hot zone' } : { level: 'info', msg: 'hot zone cooled down' };
    case 'scale':
      return { level: 'info', msg: 'scale decision' };
  }
}

/**
 * One JSON log line per control-plane event (server joined, drained, declared dead, zone split
 * or merged, hot zone, scale decision), with the event's fields and `event` naming its type.
 * Joins are never events, so they never log. The event's `at` (the engine's clock, not a date)
 * is left out: pino stamps each line with the wall clock. Returns the unsubscribe function.
 */
export function logEngineEvents(engine: Engine, logger: Logger): () => void {
  const log = logger.child({ component: 'engine' });
  return engine.onEvent((e) => {
    const { level, msg } = describe(e);
    const { type, ...fields } = e;
    log[level]({ event: type, ...fields, at: undefined }, msg);
  });
}
