/**
 * The demo's synthetic game servers. Each registers over the HTTP API and heartbeats once a
 * second with a CPU and memory load that grows with its players, as a real server's would, so
 * the engine learns each server's cost per player and its admission limit follows. A server can
 * "crash" (stop heartbeating) and come back (register again).
 */

export interface DemoServerSpec {
  id: string;
  weight: number;
  /** CPU fraction each player costs on this machine. */
  cpuPerPlayer: number;
  memoryPerPlayer: number;
}

interface DemoServer extends DemoServerSpec {
  alive: boolean;
  players: number;
  cpu: number;
  memory: number;
}

const BASE_CPU = 0.05;
const BASE_MEMORY = 0.15;

/** `count` servers of mixed sizes: every third is twice as big (weight 2, half the cost per player). */
export function demoServers(count: number, playersPerServer: number): DemoServerSpec[] {
  const out: DemoServerSpec[] = [];
  for (let i = 0; i < count; i++) {
    const weight = i % 3 === 2 ? 2 : 1;
    // Sized so that CPU, not the player cap, is what limits a server: about 85 % of its cap
    // reaches the 80 % CPU limit (the engine learns this from the heartbeats).
    const cpuPerPlayer = 0.88 / (playersPerServer * weight);
    out.push({ id: `gs-${i + 1}`, weight, cpuPerPlayer, memoryPerPlayer: 0.5 / (playersPerServer * weight) });
  }
  return out;
}

export class DemoFleet {
  private readonly servers: DemoServer[];
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly baseUrl: string,
    specs: readonly DemoServerSpec[],
    private readonly onError: (message: string) => void,
  ) {
    this.servers = specs.map((s) => ({ ...s, alive: true, players: 0, cpu: BASE_CPU, memory: BASE_MEMORY }));
  }

  async start(heartbeatMs: number): Promise<void> {
    for (const s of this.servers) await this.register(s);
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => {
        this.beating = undefined;
      });
    }, heartbeatMs);
  }

  get ids(): string[] {
    return this.servers.map((s) => s.id);
  }

  /** Stops heartbeating, as a crashed process would; zonelb notices after deadAfterMs. */
  crash(id: string): void {
    const s = this.find(id);
    s.alive = false;
  }

  /** Comes back after a crash: registers again (a new incarnation) and heartbeats. */
  async restart(id: string): Promise<void> {
    const s = this.find(id);
    s.alive = true;
    s.players = 0;
    await this.register(s);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
  }

  private find(id: string): DemoServer {
    const s = this.servers.find((x) => x.id === id);
    if (!s) throw new Error(`demo fleet has no server ${id}`);
    return s;
  }

  private async register(s: DemoServer): Promise<void> {
    await this.post('/v1/servers', { id: s.id, weight: s.weight, address: `10.0.0.${this.servers.indexOf(s) + 10}:7777` });
  }

  /**
   * One heartbeat round: each server's player count is what zonelb seated on it (as if every
   * placed player connected), and its load follows from it.
   */
  private async beat(): Promise<void> {
    const seated = new Map<string, number>();
    try {
      const res = await fetch(`${this.baseUrl}/v1/servers`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { servers: { id: string; players: number; heldSeats: number }[] };
      // The players on a server: zonelb's seats less those held with nobody there (reconnects, hot zones).
      for (const s of body.servers) seated.set(s.id, s.players - s.heldSeats);
    } catch (e) {
      this.onError(`fleet: cannot list servers: ${(e as Error).message}`);
      return;
    }
    await Promise.all(
      this.servers.map(async (s) => {
        if (!s.alive) return;
        s.players = seated.get(s.id) ?? 0;
        s.cpu = Math.min(1, BASE_CPU + s.players * s.cpuPerPlayer);
        s.memory = Math.min(1, BASE_MEMORY + s.players * s.memoryPerPlayer);
        await this.post(`/v1/servers/${encodeURIComponent(s.id)}/heartbeat`, { cpu: round(s.cpu), memory: round(s.memory), players: s.players });
      }),
    );
  }

  private async post(path: string, body: unknown): Promise<void> {
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) this.onError(`fleet: POST ${path} answered ${res.status}: ${await res.text()}`);
      else await res.arrayBuffer();
    } catch (e) {
      this.onError(`fleet: POST ${path} failed: ${(e as Error).message}`);
    }
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
