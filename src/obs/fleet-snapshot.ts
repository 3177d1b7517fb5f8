import type { Engine, ServerInfo } from '../engine/types.ts';

/**
 * The registered servers (free slots left out), listed once per scrape or dashboard frame:
 * a scrape reads a dozen per-server metrics from the same list, and Engine.servers() builds
 * one object per server (a few ms for thousands of them, on the main thread).
 */
export class FleetSnapshot {
  private list: ServerInfo[] | undefined;

  constructor(private readonly engine: Engine) {}

  /** Lists the servers again at the next read: call it at the start of each scrape or frame. */
  refresh(): void {
    this.list = undefined;
  }

  servers(): readonly ServerInfo[] {
    this.list ??= this.engine.servers().filter((i) => i.state !== 'free');
    return this.list;
  }
}
