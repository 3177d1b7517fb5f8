/**
 * The game-server WebSocket endpoint: binary ServerReport frames (register, heartbeat, drain,
 * leave) in, one ServerAck per report out, in the order the reports arrived. Drain and leave
 * wait for the engine; reports that arrive meanwhile wait in a short per-connection queue so
 * that acks never overtake each other. Bad frames get an ErrorReply; engine refusals (unknown
 * server, dead server, bad load values) get a ServerAck carrying the ZLB_ERR_* code.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../core/errors.ts';
import { NO_SERVER } from '../core/codes.ts';
import type { Engine } from '../engine/types.ts';
import { ReportKind, decodeServerReport, encodeServerAck, type ServerReportMessage } from '../wire/codec.ts';
import { CloseCode } from './close-codes.ts';
import type { FleetControl } from './fleet-control.ts';
import { closeReason, errorReplyFrame, peerError, type PeerError } from './frame-errors.ts';
import type { NetStats } from './net-stats.ts';
import type { UwsModule, WebSocket, WebSocketBehavior } from './uws.ts';

/** Reports are a few dozen bytes; anything near this is not a ServerReport. */
const MAX_REPORT_BYTES = 4096;
/** Reports queued behind a drain or leave before further ones are refused. */
const MAX_QUEUED = 256;

export interface ServerUserData {
  conn?: ServerConnection;
}

class ServerConnection {
  closed = false;
  /** A drain or leave is running; later reports wait in `queue`. */
  busy = false;
  readonly queue: Uint8Array[] = [];
  /** Server ids reported on this socket (for the disconnect log line). */
  readonly serverIds = new Set<string>();

  constructor(
    readonly ws: WebSocket<ServerUserData>,
    readonly id: number,
  ) {}
}

export class ServerEndpoint {
  private readonly connections = new Set<ServerConnection>();
  private nextId = 1;

  constructor(
    private readonly engine: Engine,
    private readonly fleet: FleetControl,
    private readonly backpressureBytes: number,
    private readonly idleTimeoutSec: number,
    private readonly stats: NetStats,
    private readonly log: Logger,
  ) {}

  behavior(uws: UwsModule): WebSocketBehavior<ServerUserData> {
    return {
      compression: uws.DISABLED,
      maxPayloadLength: MAX_REPORT_BYTES,
      maxBackpressure: this.backpressureBytes + 64 * 1024,
      idleTimeout: this.idleTimeoutSec,
      sendPingsAutomatically: true,
      open: (ws) => {
        const conn = new ServerConnection(ws, this.nextId++);
        ws.getUserData().conn = conn;
        this.connections.add(conn);
        this.stats.serversOpen++;
      },
      message: (ws, message, isBinary) => this.message(ws, message, isBinary),
      close: (ws, code) => {
        const conn = ws.getUserData().conn;
        if (conn === undefined || conn.closed) return;
        conn.closed = true;
        this.connections.delete(conn);
        this.stats.serversOpen--;
        // Not an event for the engine: the failure detector decides from heartbeats alone.
        if (conn.serverIds.size > 0) this.log.info({ serverIds: [...conn.serverIds], code }, 'game-server socket closed');
      },
    };
  }

  private message(ws: WebSocket<ServerUserData>, message: ArrayBuffer, isBinary: boolean): void {
    const conn = ws.getUserData().conn;
    if (conn === undefined || conn.closed) return;
    if (!isBinary) {
      this.refuse(conn, { code: ErrorCode.MalformedFrame, message: 'expected a binary ServerReport frame, got a text frame', seq: 0, internal: false });
      return;
    }
    if (conn.busy) {
      if (conn.queue.length >= MAX_QUEUED) {
        this.refuse(conn, {
          code: ErrorCode.TooManyInFlight,
          message: `report not run: ${MAX_QUEUED} reports already wait behind a drain or leave on this connection`,
          seq: 0,
          internal: false,
        });
        return;
      }
      // The frame's ArrayBuffer dies with this callback: keep a copy.
      conn.queue.push(new Uint8Array(message).slice());
      return;
    }
    this.process(conn, new Uint8Array(message));
  }

  private process(conn: ServerConnection, bytes: Uint8Array): void {
    let r: ServerReportMessage;
    try {
      r = decodeServerReport(bytes);
    } catch (e) {
      this.refuse(conn, peerError(e));
      return;
    }
    const id = r.serverId;
    try {
      switch (r.kind) {
        case ReportKind.Register: {
          // Load fields all 0 (absent in the frame) mean none: the server reports at its first heartbeat.
          const load = r.cpu > 0 || r.memory > 0 || r.players > 0 ? { cpu: r.cpu, memory: r.memory, players: r.players } : undefined;
          const { info } = this.fleet.register({ id, weight: r.weight > 0 ? r.weight : undefined, address: r.address || undefined, load }, 'ws');
          conn.serverIds.add(id);
          this.ack(conn, id, info.handle);
          return;
        }
        case ReportKind.Heartbeat: {
          // The schema keeps weight for Register; a heartbeat reports load only.
          const info = this.fleet.heartbeat(id, { cpu: r.cpu, memory: r.memory, players: r.players });
          conn.serverIds.add(id);
          this.ack(conn, id, info.handle);
          return;
        }
        case ReportKind.Drain:
        case ReportKind.Leave: {
          const handle = this.engine.server(id).handle;
          conn.busy = true;
          const work = r.kind === ReportKind.Drain ? this.fleet.drain(id, false, 'ws') : this.fleet.remove(id, 'ws');
          work.then(
            () => this.ack(conn, id, handle),
            (e: unknown) => this.ackError(conn, id, e),
          ).finally(() => this.resume(conn));
          return;
        }
      }
    } catch (e) {
      this.ackError(conn, id, e);
    }
  }

  /** Run the reports that queued behind a drain or leave, until one of them is async again. */
  private resume(conn: ServerConnection): void {
    conn.busy = false;
    while (!conn.closed && !conn.busy && conn.queue.length > 0) {
      const bytes = conn.queue.shift()!;
      conn.ws.cork(() => this.process(conn, bytes));
    }
    if (conn.closed) conn.queue.length = 0;
  }

  private ack(conn: ServerConnection, serverId: string, handle: number): void {
    this.send(conn, encodeServerAck({ serverId, handle, errorCode: '', message: '' }));
  }

  private ackError(conn: ServerConnection, serverId: string, e: unknown): void {
    const err = peerError(e);
    this.stats.countError(err.code);
    if (err.internal) this.log.error({ err: e, serverId }, 'game-server report failed');
    this.send(conn, encodeServerAck({ serverId, handle: NO_SERVER, errorCode: err.code, message: err.message }));
  }

  private refuse(conn: ServerConnection, err: PeerError): void {
    this.stats.countError(err.code);
    this.log.debug({ serverSocket: conn.id, code: err.code, reason: err.message }, 'game-server frame refused');
    this.send(conn, errorReplyFrame(err));
  }

  private send(conn: ServerConnection, frame: Uint8Array): void {
    if (conn.closed) return;
    const ws = conn.ws;
    if (ws.getBufferedAmount() > this.backpressureBytes) {
      this.stats.slowConsumerCloses++;
      this.log.warn({ serverSocket: conn.id, buffered: ws.getBufferedAmount() }, 'game-server socket closed: slow consumer');
      ws.end(CloseCode.SlowConsumer, closeReason(ErrorCode.SlowConsumer, `acks unread past ${this.backpressureBytes} bytes`));
      return;
    }
    // Cork: acks of drains and leaves are sent from a promise, outside any socket callback.
    ws.cork(() => ws.send(frame, true, false));
  }

  closeAll(): void {
    for (const conn of [...this.connections]) if (!conn.closed) conn.ws.end(CloseCode.GoingAway, 'zonelb shutting down');
  }
}
