/**
 * A game server's side of the zonelb WebSocket (/v1/server): register, heartbeat, drain and
 * leave as binary ServerReport frames. zonelb answers every report with one ServerAck, in
 * order, so answers are matched first in, first out.
 */
import {
  MessageType,
  ReportKind,
  decodeEnvelope,
  decodeErrorReply,
  decodeServerAck,
  encodeServerReport,
  type ServerAckMessage,
} from '../wire/codec.ts';
import type { LoadReport } from '../engine/types.ts';
import { WsClient, type WsClientOptions } from './ws-client.ts';

/** zonelb refused a report: `code` is the ZLB_ERR_* code from the ServerAck or ErrorReply. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ServerClient {
  private readonly ws: WsClient;
  private readonly waiting: { resolve: (a: ServerAckMessage) => void; reject: (e: ReportError) => void }[] = [];

  private constructor(ws: WsClient) {
    this.ws = ws;
    ws.onMessage = (data) => this.receive(data);
    ws.onClose = (code, reason) => {
      for (const w of this.waiting.splice(0)) w.reject(new ReportError('ZLB_ERR_CONNECTION_CLOSED', `connection closed (${code} ${reason})`));
    };
  }

  /** Connects to a game-server endpoint, e.g. ws://127.0.0.1:7700/v1/server. */
  static async connect(url: string, options?: WsClientOptions): Promise<ServerClient> {
    return new ServerClient(await WsClient.connect(url, options));
  }

  /** `load`: the server's load as it registers (its first heartbeat); send it if it already holds players. */
  register(serverId: string, weight = 1, address = '', load: LoadReport = { cpu: 0, memory: 0, players: 0 }): Promise<ServerAckMessage> {
    return this.report(encodeServerReport({ kind: ReportKind.Register, serverId, ...load, weight, address }));
  }

  heartbeat(serverId: string, load: LoadReport): Promise<ServerAckMessage> {
    return this.report(encodeServerReport({ kind: ReportKind.Heartbeat, serverId, ...load, weight: 0 }));
  }

  drain(serverId: string): Promise<ServerAckMessage> {
    return this.report(encodeServerReport({ kind: ReportKind.Drain, serverId, cpu: 0, memory: 0, players: 0, weight: 0 }));
  }

  leave(serverId: string): Promise<ServerAckMessage> {
    return this.report(encodeServerReport({ kind: ReportKind.Leave, serverId, cpu: 0, memory: 0, players: 0, weight: 0 }));
  }

  /** Sends any frame and waits for the next answer (tests use it for malformed input). */
  report(frame: Uint8Array): Promise<ServerAckMessage> {
    return new Promise((resolve, reject) => {
      if (this.ws.closed) {
        reject(new ReportError('ZLB_ERR_CONNECTION_CLOSED', 'connection is closed'));
        return;
      }
      this.waiting.push({ resolve, reject });
      this.ws.send(frame);
    });
  }

  get socket(): WsClient {
    return this.ws;
  }

  close(): Promise<void> {
    return this.ws.close();
  }

  private receive(data: Uint8Array): void {
    const w = this.waiting.shift();
    if (w === undefined) return;
    try {
      const type = decodeEnvelope(data);
      if (type === MessageType.ServerAck) {
        const ack = decodeServerAck(data);
        if (ack.errorCode) w.reject(new ReportError(ack.errorCode, ack.message));
        else w.resolve(ack);
      } else if (type === MessageType.ErrorReply) {
        const e = decodeErrorReply(data);
        w.reject(new ReportError(e.code, e.message));
      } else {
        w.reject(new ReportError('ZLB_ERR_WRONG_MESSAGE', `unexpected message type ${type} from zonelb`));
      }
    } catch (e) {
      w.reject(new ReportError('ZLB_ERR_MALFORMED_FRAME', `unreadable frame from zonelb: ${(e as Error).message}`));
    }
  }
}
