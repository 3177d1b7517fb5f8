/**
 * The zones of a world and which zones touch which, as compressed adjacency lists (CSR): the
 * neighbours of zone z are `neighbours[start[z] .. start[z + 1])`. Walking is symmetric: a map
 * that lists a → b lets players walk b → a too.
 */
export interface WorldMap {
  zones: number;
  start: Int32Array;
  neighbours: Int32Array;
}

export function gridMap(width: number, height: number): WorldMap {
  const lists: number[][] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const n: number[] = [];
      if (x > 0) n.push(y * width + x - 1);
      if (x < width - 1) n.push(y * width + x + 1);
      if (y > 0) n.push((y - 1) * width + x);
      if (y < height - 1) n.push((y + 1) * width + x);
      lists.push(n);
    }
  }
  return fromLists(lists);
}

/** From `{ "0": [1, 2], "1": [0] }`; zone ids are 0 .. the largest id mentioned. */
export function adjacencyMap(map: Readonly<Record<string, readonly number[]>>): WorldMap {
  let zones = 0;
  for (const [k, list] of Object.entries(map)) {
    zones = Math.max(zones, Number(k) + 1);
    for (const z of list) zones = Math.max(zones, z + 1);
  }
  const sets: Set<number>[] = Array.from({ length: zones }, () => new Set<number>());
  for (const [k, list] of Object.entries(map)) {
    const a = Number(k);
    for (const b of list) {
      if (a === b) continue;
      sets[a]!.add(b);
      sets[b]!.add(a);
    }
  }
  return fromLists(sets.map((s) => [...s].sort((x, y) => x - y)));
}

function fromLists(lists: number[][]): WorldMap {
  const start = new Int32Array(lists.length + 1);
  for (let z = 0; z < lists.length; z++) start[z + 1] = start[z]! + lists[z]!.length;
  const neighbours = new Int32Array(start[lists.length]!);
  for (let z = 0; z < lists.length; z++) neighbours.set(lists[z]!, start[z]!);
  return { zones: lists.length, start, neighbours };
}

/** The map as engine adjacency options (`{ "zone": [neighbours] }`). */
export function engineAdjacency(map: WorldMap): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let z = 0; z < map.zones; z++) out[String(z)] = Array.from(map.neighbours.subarray(map.start[z]!, map.start[z + 1]!));
  return out;
}
