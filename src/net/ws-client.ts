/**
 * A small WebSocket client (RFC 6455) over node:net, for gateways written in Node, the demo,
 * the tests and the load generator. Node 20 has no WebSocket client of its own (without a
 * flag), and owning the socket gives what those users need: binary frames straight into
 * Uint8Array views, setNoDelay, pause()/resume() to play a gateway that stops reading, and
 * the same code path against zonelb and against a bare echo server.
 *
 * Not supported (zonelb does not use them): extensions (compression), subprotocols, TLS.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface WsClientOptions {
  /**
   * Mask every frame with the key 0 (legal: the key is sent with the frame, and a zero key
   * leaves the payload unchanged). Saves the XOR pass in load generators; the random key
   * exists to protect browser-facing proxies, which a gateway-to-zonelb link does not cross.
   */
  zeroMask?: boolean;
  /** Largest message accepted from the server before the client closes (default 256 MiB). */
  maxMessageBytes?: number;
  /** Give up connecting after this many milliseconds (default 5000). */
  connectTimeoutMs?: number;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const EMPTY: Buffer = Buffer.alloc(0);

/** Random mask keys, drawn from a pool refilled in bulk (randomBytes per frame is slow). */
const maskPool = Buffer.allocUnsafe(4096);
let maskAt = maskPool.length;
function nextMask(): number {
  if (maskAt + 4 > maskPool.length) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  const k = maskPool.readUInt32BE(maskAt);
  maskAt += 4;
  return k;
}

export class WsClient {
  /**
   * Called for each complete message; `data` is a view the callee may keep (never reused).
   * Set it right after `connect` resolves, in the same turn: messages may follow at once.
   */
  onMessage: (data: Uint8Array, isBinary: boolean) => void = () => undefined;
  /** Called once when the TCP connection is gone; code 1006 when no close frame came. */
  onClose: (code: number, reason: string) => void = () => undefined;
  /** Close code and reason received from the server (0 and "" until then). */
  closeCode = 0;
  closeReason = '';
  closed = false;
  readonly socket: Socket;
  private readonly zeroMask: boolean;
  private readonly maxMessage: number;
  private chunks: Buffer[] = [];
  private have = 0;
  private need = 2;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOp = 0;
  private closeSent = false;

  private constructor(socket: Socket, options: WsClientOptions) {
    this.socket = socket;
    this.zeroMask = options.zeroMask ?? false;
    this.maxMessage = options.maxMessageBytes ?? 256 << 20;
  }

  /** Connects to ws://host:port/path and completes the opening handshake. */
  static connect(url: string, options: WsClientOptions = {}): Promise<WsClient> {
    const u = new URL(url);
    if (u.protocol !== 'ws:') return Promise.reject(new Error(`WsClient: only ws:// URLs are supported, got ${url}`));
    const port = Number(u.port || 80);
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1').update(key + GUID).digest('base64');
    return new Promise((resolve, reject) => {
      const socket = connect({ host: u.hostname, port, noDelay: true });
      const timer = setTimeout(() => fail(new Error(`WsClient: no handshake from ${url} within ${options.connectTimeoutMs ?? 5000} ms`)), options.connectTimeoutMs ?? 5000);
      let head: Buffer = EMPTY;
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 16384) fail(new Error('WsClient: handshake response headers too long'));
          return;
        }
        const text = head.subarray(0, end).toString('latin1');
        const [status = '', ...lines] = text.split('\r\n');
        if (!/^HTTP\/1\.1 101 /.test(status)) return fail(new Error(`WsClient: upgrade refused by ${url}: ${status}`));
        const accept = lines.find((l) => l.toLowerCase().startsWith('sec-websocket-accept:'))?.slice(21).trim();
        if (accept !== expected) return fail(new Error('WsClient: bad Sec-WebSocket-Accept in the handshake response'));
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeListener('error', fail);
        const client = new WsClient(socket, options);
        socket.on('data', (c: Buffer) => client.receive(c));
        socket.on('error', () => undefined); // 'close' follows and reports
        socket.on('close', () => client.finish());
        resolve(client);
        // Frames that came with the handshake response: handled after the caller's `await`
        // has attached its handlers (a microtask queued after resolve runs after the awaiting
        // code), and before any later socket data (an I/O event, never inside microtasks).
        const rest = head.subarray(end + 4);
        if (rest.length > 0) queueMicrotask(() => client.receive(rest));
      };
      socket.on('data', onData);
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.write(
          `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Sends one binary message. Returns false when the socket's buffer is full (see `drain`). */
  send(data: Uint8Array): boolean {
    return this.sendFrame(OP_BINARY, data);
  }

  sendText(text: string): boolean {
    return this.sendFrame(OP_TEXT, Buffer.from(text, 'utf8'));
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Stop / start reading from the socket (to test a gateway that stops reading). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Starts the closing handshake; resolves when the TCP connection is gone. */
  close(code = 1000, reason = ''): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    if (!this.closeSent) {
      this.closeSent = true;
      const r = Buffer.from(reason, 'utf8').subarray(0, 123);
      const payload = Buffer.allocUnsafe(2 + r.length);
      payload.writeUInt16BE(code, 0);
      r.copy(payload, 2);
      this.sendFrame(OP_CLOSE, payload);
    }
    // A server that never answers the close frame does not keep us waiting forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    return done;
  }

  /** Drops the connection without a closing handshake. */
  destroy(): void {
    this.socket.destroy();
  }

  private sendFrame(op: number, data: Uint8Array): boolean {
    if (this.socket.destroyed) return false;
    const n = data.length;
    const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
    const h = 2 + ext + 4;
    const frame = Buffer.allocUnsafe(h + n);
    frame[0] = 0x80 | op;
    if (ext === 0) frame[1] = 0x80 | n;
    else if (ext === 2) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(Math.floor(n / 0x100000000), 2);
      frame.writeUInt32BE(n >>> 0, 6);
    }
    if (this.zeroMask) {
      frame.writeUInt32BE(0, h - 4);
      frame.set(data, h);
    } else {
      const key = nextMask();
      frame.writeUInt32BE(key, h - 4);
      const k0 = key >>> 24;
      const k1 = (key >>> 16) & 0xff;
      const k2 = (key >>> 8) & 0xff;
      const k3 = key & 0xff;
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        frame[h + i] = data[i]! ^ k0;
        frame[h + i + 1] = data[i + 1]! ^ k1;
        frame[h + i + 2] = data[i + 2]! ^ k2;
        frame[h + i + 3] = data[i + 3]! ^ k3;
      }
      for (; i < n; i++) frame[h + i] = data[i]! ^ ((key >>> (24 - 8 * (i & 3))) & 0xff);
    }
    return this.socket.write(frame);
  }

  /** Frame parser: gathers chunks until `need` bytes are there, then parses as many frames as it can. */
  private receive(chunk: Buffer): void {
    if (this.have === 0 && chunk.length >= this.need) {
      this.parse(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.have);
    this.chunks = [];
    this.have = 0;
    this.parse(all);
  }

  private parse(buf: Buffer): void {
    let off = 0;
    const len = buf.length;
    while (off < len) {
      if (len - off < 2) return this.keep(buf, off, 2);
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      let n = b1 & 0x7f;
      let h = 2;
      if (n === 126) {
        if (len - off < 4) return this.keep(buf, off, 4);
        n = buf.readUInt16BE(off + 2);
        h = 4;
      } else if (n === 127) {
        if (len - off < 10) return this.keep(buf, off, 10);
        n = buf.readUInt32BE(off + 2) * 0x100000000 + buf.readUInt32BE(off + 6);
        h = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) h += 4;
      if (n > this.maxMessage) {
        this.close(1009, 'message too big');
        this.socket.destroy();
        return;
      }
      if (len - off < h + n) return this.keep(buf, off, h + n);
      let payload = buf.subarray(off + h, off + h + n);
      if (masked) {
        const key = buf.subarray(off + h - 4, off + h);
        payload = Buffer.from(payload);
        for (let i = 0; i < n; i++) payload[i]! ^= key[i & 3]!;
      }
      off += h + n;
      this.frame(b0 & 0x0f, (b0 & 0x80) !== 0, payload);
      if (this.socket.destroyed) return;
    }
    this.need = 2;
  }

  private keep(buf: Buffer, off: number, need: number): void {
    const rest = buf.subarray(off);
    this.chunks = [rest];
    this.have = rest.length;
    this.need = need;
  }

  private frame(op: number, fin: boolean, payload: Buffer): void {
    switch (op) {
      case OP_BINARY:
      case OP_TEXT:
        if (fin) this.onMessage(payload, op === OP_BINARY);
        else {
          this.fragmentOp = op;
          this.fragments = [payload];
          this.fragmentBytes = payload.length;
        }
        return;
      case OP_CONT: {
        this.fragments.push(payload);
        this.fragmentBytes += payload.length;
        if (this.fragmentBytes > this.maxMessage) {
          this.close(1009, 'message too big');
          return;
        }
        if (fin) {
          const all = Buffer.concat(this.fragments, this.fragmentBytes);
          this.fragments = [];
          this.fragmentBytes = 0;
          this.onMessage(all, this.fragmentOp === OP_BINARY);
        }
        return;
      }
      case OP_CLOSE:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.closeReason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
        if (!this.closeSent) {
          this.closeSent = true;
          this.sendFrame(OP_CLOSE, payload.subarray(0, 2));
        }
        this.socket.end();
        return;
      case OP_PING:
        this.sendFrame(OP_PONG, payload);
        return;
      default: // pong, reserved opcodes
        return;
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeCode === 0) this.closeCode = 1006;
    this.onClose(this.closeCode, this.closeReason);
  }
}
