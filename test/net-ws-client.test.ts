/**
 * The WebSocket client's framing against a scripted server on a raw TCP socket: extended
 * lengths, fragmentation, frames split across TCP reads, ping/pong, masking, close codes.
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WsClient } from '../src/net/ws-client.ts';

let server: Server | undefined;
const sockets = new Set<Socket>();

function track(sock: Socket): void {
  sockets.add(sock);
  sock.on('close', () => sockets.delete(sock));
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function frame(op: number, payload: Uint8Array, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | op, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126) {
    head[0] = (fin ? 0x80 : 0) | op;
    if (n < 65536) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeUInt32BE(0, 2);
      head.writeUInt32BE(n, 6);
    }
  }
  return Buffer.concat([head, payload]);
}

/** Unmasks one client frame at the start of `buf` (the client always masks). */
function readClientFrame(buf: Buffer): { op: number; payload: Buffer; masked: boolean; size: number } {
  let n = buf[1]! & 0x7f;
  let h = 2;
  if (n === 126) {
    n = buf.readUInt16BE(2);
    h = 4;
  }
  const masked = (buf[1]! & 0x80) !== 0;
  const key = buf.subarray(h, h + 4);
  const payload = Buffer.from(buf.subarray(h + 4, h + 4 + n));
  for (let i = 0; i < n; i++) payload[i]! ^= key[i & 3]!;
  return { op: buf[0]! & 0x0f, payload, masked, size: h + 4 + n };
}

/** A server that completes the handshake, then hands the socket to `script`. */
async function scripted(script: (sock: Socket, received: Buffer[]) => void): Promise<string> {
  server = createServer((sock) => {
    track(sock);
    let head = '';
    const received: Buffer[] = [];
    sock.on('data', (d: Buffer) => {
      if (!head.includes('\r\n\r\n')) {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const key = /sec-websocket-key: (.+)\r\n/i.exec(head)![1]!.trim();
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        script(sock, received);
        return;
      }
      received.push(d);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return `ws://127.0.0.1:${(server!.address() as AddressInfo).port}/x`;
}

it('parses extended lengths, fragments and frames split across reads; answers pings; reports the close code', async () => {
  const big = Buffer.alloc(70_000, 7);
  const mid = Buffer.alloc(300, 3);
  let serverSide: Buffer[] = [];
  const url = await scripted((sock, received) => {
    serverSide = received;
    const all = Buffer.concat([
      frame(0x9, Buffer.from('hi')),
      frame(0x2, mid),
      frame(0x2, Buffer.from([1, 2]), false),
      frame(0x0, Buffer.from([3, 4])),
      frame(0x2, big),
      frame(0x1, Buffer.from('text')),
    ]);
    // Dribble the bytes in small pieces so frames straddle TCP reads.
    let off = 0;
    const tick = (): void => {
      if (off >= all.length) {
        sock.write(frame(0x8, Buffer.from([0x0f, 0xa0, ...Buffer.from('bye')])));
        return;
      }
      sock.write(all.subarray(off, off + 997));
      off += 997;
      setImmediate(tick);
    };
    tick();
  });
  const c = await WsClient.connect(url);
  const messages: { data: Buffer; binary: boolean }[] = [];
  c.onMessage = (d, binary) => messages.push({ data: Buffer.from(d), binary });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    c.onClose = (code, reason) => resolve({ code, reason });
  });
  const { code, reason } = await closed;
  expect(code).toBe(4000);
  expect(reason).toBe('bye');
  expect(messages.map((m) => m.data.length)).toEqual([300, 4, 70_000, 4]);
  expect([...messages[1]!.data]).toEqual([1, 2, 3, 4]);
  expect(messages[2]!.data.equals(big)).toBe(true);
  expect(messages[3]).toEqual({ data: Buffer.from('text'), binary: false });
  // The client answered the ping with a masked pong carrying the same payload, then echoed the close.
  const fromClient = Buffer.concat(serverSide);
  const pong = readClientFrame(fromClient);
  expect(pong).toMatchObject({ op: 0xa, masked: true });
  expect(pong.payload.toString()).toBe('hi');
  const close = readClientFrame(fromClient.subarray(pong.size));
  expect(close.op).toBe(0x8);
  expect(close.payload.readUInt16BE(0)).toBe(4000);
});

it('masks what it sends, with a random key or (zeroMask) the key 0', async () => {
  for (const zeroMask of [false, true]) {
    const got = new Promise<Buffer>((resolve) => {
      void scripted((sock) => {
        let buf = Buffer.alloc(0);
        sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 2 + 2 + 4 + 200) resolve(buf);
        });
      }).then(async (url) => {
        const c = await WsClient.connect(url, { zeroMask });
        c.send(Buffer.alloc(200, 0x5a));
        setTimeout(() => c.destroy(), 200);
      });
    });
    const raw = await got;
    const f = readClientFrame(raw);
    expect(f.masked).toBe(true);
    expect(f.payload.equals(Buffer.alloc(200, 0x5a))).toBe(true);
    const key = raw.subarray(4, 8);
    if (zeroMask) expect([...key]).toEqual([0, 0, 0, 0]);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  }
});

it('rejects a server that does not upgrade', async () => {
  server = createServer((sock) => {
    track(sock);
    sock.once('data', () => sock.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/nope`;
  await expect(WsClient.connect(url)).rejects.toThrow(/upgrade refused.*404/);
});
