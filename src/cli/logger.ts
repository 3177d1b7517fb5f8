import { pino, type Logger } from 'pino';
import type { LogLevel } from './service-options.ts';

/** JSON lines on stdout, one per control-plane event (never one per join). */
export function createLogger(level: LogLevel, name = 'zonelb'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
