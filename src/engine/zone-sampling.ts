import { invalidArgument } from '../core/errors.ts';
import { ZONE_STRIDE, Z_ENTRIES, Z_JOINS, Z_POPULATION } from '../core/layout.ts';

/**
 * Reads of every zone's join counter and population for the hot-zone detector, straight from
 * the shared zone rows (Engine.sampleZones). Plain reads: each field has one writer (the
 * owning shard) and an int32 read is never torn, so a sample is at worst a few joins old.
 */

function checkOut(name: string, a: unknown, length: number, why: string): void {
  if (!(a instanceof Uint32Array) || a.length < length) {
    throw invalidArgument(name, a instanceof Uint32Array ? `a Uint32Array of ${a.length}` : a, `a Uint32Array of at least ${length} (${why})`);
  }
}

/** Zones [from, min(to, bound)) of the rows into the arrays (sized for maxZones); returns bound. */
export function sampleAllZones(rows: Int32Array, bound: number, maxZones: number, joins: Uint32Array, population: Uint32Array, servers?: Uint32Array, from = 0, to = Infinity): number {
  checkOut('joins', joins, maxZones, 'maxZones');
  checkOut('population', population, maxZones, 'maxZones');
  if (servers !== undefined) checkOut('servers', servers, maxZones, 'maxZones');
  if (!(from >= 0) || !(to >= from)) throw invalidArgument('from, to', `${from}, ${to}`, 'a range with 0 ≤ from ≤ to');
  const end = Math.min(bound, to);
  for (let zone = from, at = from * ZONE_STRIDE; zone < end; zone++, at += ZONE_STRIDE) {
    // Uint32Array stores wrap the int32 counter to 0..2^32−1.
    joins[zone] = rows[at + Z_JOINS]!;
    population[zone] = rows[at + Z_POPULATION]!;
  }
  if (servers !== undefined) for (let zone = from, at = from * ZONE_STRIDE; zone < end; zone++, at += ZONE_STRIDE) servers[zone] = rows[at + Z_ENTRIES]!;
  return bound;
}
