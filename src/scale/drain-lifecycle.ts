/**
 * Scale-in as drain, then remove: a chosen server stops taking joins, its players are moved
 * where there is room (and retried every `retryMoveMs` while some are left), the rest are left
 * to finish their sessions, and only a server with no player and no reserved seat left, by
 * zonelb's count and by its own last report, is removed from the engine and handed back to the
 * provider. A server is never removed with players on it; one that dies while draining is
 * simply forgotten (the failure detector has re-placed its players).
 */
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import type { Engine } from '../engine/types.ts';
import { hostedPlayers } from './hosted-players.ts';

export type DrainEngine = Pick<Engine, 'drainServer' | 'removeServer' | 'servers'>;

export interface Draining {
  id: string;
  since: number;
  lastMove: number;
  weight: number;
}

export class DrainLifecycle {
  private readonly draining = new Map<string, Draining>();

  constructor(
    private readonly engine: DrainEngine,
    /** Stops a removed server (the provider's release). */
    private readonly release: (serverId: string, now: number) => Promise<void>,
    private readonly retryMoveMs: number,
  ) {}

  /** Servers draining now. */
  list(): Draining[] {
    return [...this.draining.values()];
  }

  /** Capacity (weight units) being drained. */
  get units(): number {
    let u = 0;
    for (const d of this.draining.values()) u += d.weight;
    return u;
  }

  has(id: string): boolean {
    return this.draining.has(id);
  }

  /** Starts draining `id`, moving its players where there is room. */
  async drain(id: string, weight: number, now: number): Promise<{ players: number; moved: number }> {
    const [r] = await this.drainAll([{ id, weight }], now);
    return r!;
  }

  /**
   * Starts draining several servers at once: all of them stop taking players first, then their
   * players are moved, so that nobody is moved onto a server that is about to be drained too
   * (and moved a second time).
   */
  async drainAll(servers: readonly { id: string; weight: number }[], now: number): Promise<{ players: number; moved: number }[]> {
    let failure: unknown;
    const ok: { id: string; weight: number }[] = [];
    for (const s of servers) {
      try {
        await this.engine.drainServer(s.id);
        this.draining.set(s.id, { id: s.id, since: now, lastMove: now, weight: s.weight });
        ok.push(s);
      } catch (e) {
        // Gone meanwhile (dead, removed): nothing to drain; the others go on.
        failure ??= e;
      }
    }
    const out: { players: number; moved: number }[] = [];
    for (const s of ok) {
      const r = await this.engine.drainServer(s.id, { move: true });
      out.push({ players: r.players.length, moved: r.moved });
    }
    if (failure !== undefined) throw failure;
    return out;
  }

  /** Removes the drained servers that are empty; retries moving players off the others. Returns the removed ids. */
  async step(now: number): Promise<string[]> {
    if (this.draining.size === 0) return [];
    const byId = new Map(this.engine.servers().map((s) => [s.id, s]));
    const removed: string[] = [];
    for (const d of [...this.draining.values()]) {
      const s = byId.get(d.id);
      if (!s || s.state === 'dead' || s.state === 'free') {
        this.draining.delete(d.id);
        continue;
      }
      if (hostedPlayers(s) === 0) {
        try {
          await this.engine.removeServer(d.id);
        } catch (e) {
          if (!(e instanceof ZonelbError && e.code === ErrorCode.UnknownServer)) throw e;
        }
        this.draining.delete(d.id);
        removed.push(d.id);
        await this.release(d.id, now);
      } else if (now - d.lastMove >= this.retryMoveMs) {
        d.lastMove = now;
        await this.engine.drainServer(d.id, { move: true });
      }
    }
    return removed;
  }
}
