import type { SimServer } from '../fleet.ts';
import { Baseline } from './baseline.ts';

interface Room {
  zone: number;
  server: number;
  clients: number;
}

/**
 * As Colyseus matchmakes: one room per zone up to `roomCapacity` clients (joinOrCreate joins
 * the zone's first room with a free seat), a new room on the process with the fewest rooms.
 * Knows room counts, not players or CPU; a walking player joins a room of the new zone.
 */
export class LeastRooms extends Baseline {
  readonly name = 'least-rooms';
  private readonly roomsOfZone = new Map<number, Room[]>();
  private readonly roomsOnServer = new Map<number, number>();
  private roomOf: (Room | undefined)[] = [];

  protected choose(player: number, zone: number): number {
    this.leaveRoom(player);
    const cap = this.ctx.scenario.baselines.roomCapacity;
    let rooms = this.roomsOfZone.get(zone);
    let room = rooms?.find((r) => r.clients < cap && this.isOpen(r.server));
    if (!room) {
      let best: SimServer = this.open[0]!;
      for (const s of this.open) if (this.roomCount(s.index) < this.roomCount(best.index)) best = s;
      room = { zone, server: best.index, clients: 0 };
      if (!rooms) this.roomsOfZone.set(zone, (rooms = []));
      rooms.push(room);
      this.roomsOnServer.set(best.index, this.roomCount(best.index) + 1);
    }
    room.clients++;
    this.roomOf[player] = room;
    return room.server;
  }

  override move(player: number, zone: number): number {
    return this.choose(player, zone);
  }

  override leave(player: number): void {
    this.leaveRoom(player);
  }

  private roomCount(server: number): number {
    return this.roomsOnServer.get(server) ?? 0;
  }

  private isOpen(server: number): boolean {
    return this.open.some((s) => s.index === server);
  }

  private leaveRoom(player: number): void {
    const room = this.roomOf[player];
    if (!room) return;
    this.roomOf[player] = undefined;
    if (--room.clients > 0) return;
    // An empty room is disposed of, as Colyseus does by default.
    const rooms = this.roomsOfZone.get(room.zone)!;
    rooms.splice(rooms.indexOf(room), 1);
    this.roomsOnServer.set(room.server, this.roomCount(room.server) - 1);
  }
}
