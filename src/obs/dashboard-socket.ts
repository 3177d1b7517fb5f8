import type { UwsModule, WebSocket, WebSocketBehavior } from '../net/uws.ts';

/** A viewer that stops reading is skipped (not closed) until it catches up. */
const MAX_BUFFERED = 1 << 20;

interface Viewer {
  open: boolean;
}

/**
 * The dashboard's WebSocket: JSON text frames out (a `hello` with history on open, then a
 * `frame` every second and an `event` as each control-plane event happens); nothing is read
 * from viewers. The JSON is built once per message, whatever the number of viewers.
 */
export class DashboardSocket {
  private readonly viewers = new Set<WebSocket<Viewer>>();

  constructor(private readonly hello: () => unknown) {}

  get count(): number {
    return this.viewers.size;
  }

  behavior(uws: UwsModule): WebSocketBehavior<Viewer> {
    return {
      compression: uws.SHARED_COMPRESSOR,
      maxPayloadLength: 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        res.upgrade<Viewer>(
          { open: true },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        this.viewers.add(ws);
        ws.send(JSON.stringify(this.hello()), false, true);
      },
      message: () => undefined,
      close: (ws) => {
        ws.getUserData().open = false;
        this.viewers.delete(ws);
      },
    };
  }

  /** Sends `message` (serialised once) to every viewer keeping up. */
  broadcast(message: unknown): void {
    if (this.viewers.size === 0) return;
    const text = JSON.stringify(message);
    for (const ws of this.viewers) {
      if (ws.getBufferedAmount() > MAX_BUFFERED) continue;
      ws.send(text, false, true);
    }
  }

  closeAll(): void {
    for (const ws of [...this.viewers]) if (ws.getUserData().open) ws.end(1001, 'zonelb stopping');
    this.viewers.clear();
  }
}
