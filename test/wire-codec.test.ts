import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Builder, ByteBuffer } from 'flatbuffers';
import { Op, Reason, Status } from '../src/core/codes.ts';
import {
  decodeEnvelope,
  decodeErrorReply,
  decodeGatewayBatch,
  decodeReplacementBatch,
  decodeResultBatch,
  decodeServerAck,
  decodeServerReport,
  encodeErrorReply,
  encodeGatewayBatch,
  encodeReplacementBatch,
  encodeServerAck,
  encodeServerReport,
  encodeWireError,
  FILE_IDENTIFIER,
  GatewayBatchEncoder,
  MessageType,
  REPLACEMENT_SIZE,
  ReportKind,
  REQUEST_SIZE,
  RequestBuffer,
  RESULT_SIZE,
  ResultBuffer,
  ResultEncoder,
  WireError,
  WireErrorCode,
} from '../src/wire/codec.ts';
import {
  Envelope,
  ErrorReply,
  GatewayBatch,
  Message,
  Replacement,
  ReplacementBatch,
  Request,
  Result,
  ResultBatch,
  ServerReport,
} from '../src/wire/generated/zonelb_generated.ts';

// ---------------------------------------------------------------------------------------
// helpers

function wireErrorOf(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw new Error(`expected a WireError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a WireError, nothing was thrown');
}

/** Run `fn`; pass if it returns or throws a WireError; rethrow anything else. */
function onlyWireErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    expect(Object.values(WireErrorCode)).toContain(e.code);
  }
}

const allDecoders: ReadonlyArray<[string, (b: Uint8Array) => unknown]> = [
  ['decodeEnvelope', (b) => decodeEnvelope(b)],
  ['decodeGatewayBatch', (b) => decodeGatewayBatch(b, new RequestBuffer(64), 64)],
  ['decodeResultBatch', (b) => decodeResultBatch(b, new ResultBuffer(64))],
  ['decodeReplacementBatch', (b) => decodeReplacementBatch(b)],
  ['decodeServerReport', (b) => decodeServerReport(b)],
  ['decodeServerAck', (b) => decodeServerAck(b)],
  ['decodeErrorReply', (b) => decodeErrorReply(b)],
];

/** Same bytes placed at an odd byteOffset inside a larger buffer with trailing junk. */
function misaligned(bytes: Uint8Array): Uint8Array {
  const big = new Uint8Array(bytes.length + 8).fill(0xee);
  big.set(bytes, 3);
  return big.subarray(3, 3 + bytes.length);
}

function sampleGateway(n: number, seed = 1) {
  const ops = new Uint8Array(n);
  const players = new Uint32Array(n);
  const zones = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    ops[i] = 1 + ((i * 7 + seed) % 3);
    players[i] = (i * 2654435761 + seed) >>> 0;
    zones[i] = (i * 31 + seed) % 5000;
  }
  return { ops, players, zones };
}

function sampleResults(n: number) {
  const players = new Uint32Array(n);
  const servers = new Int32Array(n);
  const positions = new Uint32Array(n);
  const statuses = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    players[i] = (i * 40503 + 17) >>> 0;
    statuses[i] = i % 9;
    servers[i] = statuses[i] === Status.Ok || statuses[i] === Status.Reconnected ? ((i % 7) << 16) | (i % 300) : -1;
    positions[i] = statuses[i] === Status.Queued ? i + 1 : 0;
  }
  return { players, servers, positions, statuses };
}

/** A GatewayBatch built the canonical way, with flatc's generated createRequest. */
function referenceGateway(seq: number, ops: Uint8Array, players: Uint32Array, zones: Uint32Array, forceDefaults = false): Uint8Array {
  const b = new Builder(64);
  b.forceDefaults(forceDefaults);
  GatewayBatch.startRequestsVector(b, ops.length);
  for (let i = ops.length - 1; i >= 0; i--) Request.createRequest(b, ops[i], players[i], zones[i]);
  const vec = b.endVector();
  const gb = GatewayBatch.createGatewayBatch(b, seq, vec);
  Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, Message.GatewayBatch, gb));
  return b.asUint8Array().slice();
}

/** A ResultBatch built the canonical way, with flatc's generated createResult. */
function referenceResults(seq: number, r: ReturnType<typeof sampleResults>, forceDefaults = false): Uint8Array {
  const b = new Builder(64);
  b.forceDefaults(forceDefaults);
  const n = r.players.length;
  ResultBatch.startResultsVector(b, n);
  for (let i = n - 1; i >= 0; i--) Result.createResult(b, r.players[i]!, r.servers[i]!, r.positions[i]!, r.statuses[i]!);
  const vec = b.endVector();
  Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, Message.ResultBatch, ResultBatch.createResultBatch(b, seq, vec)));
  return b.asUint8Array().slice();
}

/** Wrap an arbitrary message table in an envelope of any union type code. */
function envelopeWith(type: number, build: (b: Builder) => number): Uint8Array {
  const b = new Builder(64);
  const msg = build(b);
  Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, type as Message, msg));
  return b.asUint8Array().slice();
}

const gateway5 = (() => {
  const s = sampleGateway(5);
  return encodeGatewayBatch(77, 5, s.ops, s.players, s.zones);
})();

// ---------------------------------------------------------------------------------------

describe('protocol constants match the generated code', () => {
  it('message types', () => {
    expect(MessageType).toEqual({
      GatewayBatch: Message.GatewayBatch,
      ResultBatch: Message.ResultBatch,
      ReplacementBatch: Message.ReplacementBatch,
      ServerReport: Message.ServerReport,
      ServerAck: Message.ServerAck,
      ErrorReply: Message.ErrorReply,
    });
    expect(Message.NONE).toBe(0);
  });
  it('struct sizes and identifier', () => {
    expect(REQUEST_SIZE).toBe(Request.sizeOf());
    expect(RESULT_SIZE).toBe(Result.sizeOf());
    expect(REPLACEMENT_SIZE).toBe(Replacement.sizeOf());
    expect(Envelope.bufferHasIdentifier(new ByteBuffer(gateway5))).toBe(true);
    expect(new TextDecoder().decode(gateway5.subarray(4, 8))).toBe(FILE_IDENTIFIER);
  });
});

describe('GatewayBatch', () => {
  it('encodes byte-identically to flatc createRequest and round-trips', () => {
    const n = 37;
    const s = sampleGateway(n);
    const ours = encodeGatewayBatch(123456, n, s.ops, s.players, s.zones);
    expect(ours).toEqual(referenceGateway(123456, s.ops, s.players, s.zones));
    expect(decodeEnvelope(ours)).toBe(MessageType.GatewayBatch);
    const out = new RequestBuffer(100);
    decodeGatewayBatch(ours, out, 100);
    expect(out.seq).toBe(123456);
    expect(out.count).toBe(n);
    expect(out.ops.subarray(0, n)).toEqual(s.ops);
    expect(out.players.subarray(0, n)).toEqual(s.players);
    expect(out.zones.subarray(0, n)).toEqual(s.zones);
  });

  it('is readable with the generated accessors', () => {
    const s = sampleGateway(3);
    const bytes = encodeGatewayBatch(9, 3, s.ops, s.players, s.zones);
    const env = Envelope.getRootAsEnvelope(new ByteBuffer(bytes));
    expect(env.messageType()).toBe(Message.GatewayBatch);
    const gb = env.message(new GatewayBatch()) as GatewayBatch;
    expect(gb.seq()).toBe(9);
    expect(gb.requestsLength()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const r = gb.requests(i);
      expect([r?.op(), r?.player(), r?.zone()]).toEqual([s.ops[i], s.players[i], s.zones[i]]);
    }
  });

  it('GatewayBatchEncoder reuses its buffer, grows, and encodes count 0 and a prefix of the arrays', () => {
    const enc = new GatewayBatchEncoder(2);
    const out = new RequestBuffer(5000);
    const big = sampleGateway(5000, 3);
    decodeGatewayBatch(enc.encode(1, 5000, big.ops, big.players, big.zones), out, 5000);
    expect(out.count).toBe(5000);
    expect(out.players).toEqual(big.players);
    decodeGatewayBatch(enc.encode(2, 0, big.ops, big.players, big.zones), out, 5000);
    expect([out.seq, out.count]).toEqual([2, 0]);
    decodeGatewayBatch(enc.encode(0xffffffff, 4, big.ops, big.players, big.zones), out, 5000);
    expect([out.seq, out.count]).toEqual([0xffffffff, 4]);
    expect(out.zones.subarray(0, 4)).toEqual(big.zones.subarray(0, 4));
  });

  it('accepts a batch with no requests vector and decodes misaligned views', () => {
    const noVec = envelopeWith(Message.GatewayBatch, (b) => GatewayBatch.createGatewayBatch(b, 5, 0));
    const out = new RequestBuffer(8);
    decodeGatewayBatch(noVec, out, 8);
    expect([out.seq, out.count]).toEqual([5, 0]);
    decodeGatewayBatch(misaligned(gateway5), out, 8);
    expect(out.count).toBe(5);
  });

  it('property: any batch round-trips', () => {
    const req = fc.record({ op: fc.constantFrom(Op.Join, Op.Leave, Op.Move, Op.Quit), player: fc.nat({ max: 0xffffffff }), zone: fc.nat({ max: 0xffffffff }) });
    const out = new RequestBuffer(200);
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.array(req, { maxLength: 200 }), (seq, reqs) => {
        const ops = Uint8Array.from(reqs, (r) => r.op);
        const players = Uint32Array.from(reqs, (r) => r.player);
        const zones = Uint32Array.from(reqs, (r) => r.zone);
        decodeGatewayBatch(encodeGatewayBatch(seq, reqs.length, ops, players, zones), out, 200);
        expect(out.seq).toBe(seq);
        expect(out.count).toBe(reqs.length);
        expect(out.ops.subarray(0, reqs.length)).toEqual(ops);
        expect(out.players.subarray(0, reqs.length)).toEqual(players);
        expect(out.zones.subarray(0, reqs.length)).toEqual(zones);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a batch larger than maxRequests with BATCH_TOO_LARGE and keeps the seq', () => {
    const s = sampleGateway(11);
    const bytes = encodeGatewayBatch(31, 11, s.ops, s.players, s.zones);
    const out = new RequestBuffer(16);
    const err = wireErrorOf(() => decodeGatewayBatch(bytes, out, 10));
    expect(err.code).toBe(WireErrorCode.BatchTooLarge);
    expect(err.code).toBe('ZLB_ERR_BATCH_TOO_LARGE');
    expect(err.seq).toBe(31);
    expect(err.message).toMatch(/holds 11 requests, at most 10/);
    expect(out.count).toBe(0);
    decodeGatewayBatch(bytes, out, 11);
    expect(out.count).toBe(11);
  });

  it('treats maxRequests above the buffer capacity as a programming error', () => {
    expect(() => decodeGatewayBatch(gateway5, new RequestBuffer(4), 5)).toThrow(RangeError);
  });

  it.each([0, 5, 7, 255])('rejects op %i with UNKNOWN_OP', (badOp) => {
    const s = sampleGateway(6);
    s.ops[4] = badOp;
    const out = new RequestBuffer(8);
    decodeGatewayBatch(gateway5, out, 8);
    const err = wireErrorOf(() => decodeGatewayBatch(encodeGatewayBatch(8, 6, s.ops, s.players, s.zones), out, 8));
    expect(err.code).toBe('ZLB_ERR_UNKNOWN_OP');
    expect(err.seq).toBe(8);
    expect(err.message).toContain(`request #4`);
    expect(err.message).toContain(`has op ${badOp}, expected one of 1 Join, 2 Leave, 3 Move, 4 Quit`);
    expect(out.count).toBe(0);
  });

  it('rejects other message types with WRONG_MESSAGE and unknown union types with UNKNOWN_MESSAGE', () => {
    const r = sampleResults(3);
    const results = new ResultEncoder().encode(1, 3, r.players, r.servers, r.positions, r.statuses).slice();
    const out = new RequestBuffer(8);
    let err = wireErrorOf(() => decodeGatewayBatch(results, out, 8));
    expect(err.code).toBe('ZLB_ERR_WRONG_MESSAGE');
    expect(err.message).toBe('got message type 2 ResultBatch, expected 1 GatewayBatch');
    err = wireErrorOf(() => decodeResultBatch(gateway5, new ResultBuffer(8)));
    expect(err.code).toBe('ZLB_ERR_WRONG_MESSAGE');

    const unknown = envelopeWith(9, (b) => GatewayBatch.createGatewayBatch(b, 1, 0));
    expect(wireErrorOf(() => decodeGatewayBatch(unknown, out, 8)).code).toBe('ZLB_ERR_UNKNOWN_MESSAGE');
    expect(wireErrorOf(() => decodeEnvelope(unknown)).code).toBe('ZLB_ERR_UNKNOWN_MESSAGE');
    const none = envelopeWith(0, (b) => GatewayBatch.createGatewayBatch(b, 1, 0));
    expect(wireErrorOf(() => decodeEnvelope(none)).message).toMatch(/unknown message type 0 \(NONE\)/);
  });

  it('rejects a union type whose value is missing', () => {
    const b = new Builder(64);
    Envelope.startEnvelope(b);
    Envelope.addMessageType(b, Message.GatewayBatch);
    Envelope.finishEnvelopeBuffer(b, Envelope.endEnvelope(b));
    const err = wireErrorOf(() => decodeGatewayBatch(b.asUint8Array(), new RequestBuffer(1), 1));
    expect(err.code).toBe('ZLB_ERR_MALFORMED_FRAME');
    expect(err.message).toMatch(/Envelope\.message is missing/);
  });

  it('rejects a bad file identifier', () => {
    const bytes = gateway5.slice();
    bytes.set([0x5a, 0x4c, 0x42, 0x32], 4); // "ZLB2"
    const err = wireErrorOf(() => decodeGatewayBatch(bytes, new RequestBuffer(8), 8));
    expect(err.code).toBe('ZLB_ERR_BAD_IDENTIFIER');
    expect(err.message).toBe('bad file identifier: bytes 4..7 are 5a 4c 42 32, expected "ZLB1" (5a 4c 42 31)');
  });

  it('rejects a vector length past the end of the buffer', () => {
    const bytes = gateway5.slice();
    const dv = new DataView(bytes.buffer);
    const lenAt = bytes.length - 5 * REQUEST_SIZE - 4; // the struct vector is built first, so it ends the frame
    expect(dv.getUint32(lenAt, true)).toBe(5);
    for (const n of [6, 1000, 0x7fffffff, 0xffffffff]) {
      dv.setUint32(lenAt, n, true);
      const err = wireErrorOf(() => decodeGatewayBatch(bytes, new RequestBuffer(8), 8));
      expect(err.code).toBe('ZLB_ERR_MALFORMED_FRAME');
      expect(err.message).toMatch(new RegExp(`GatewayBatch.requests: vector of ${n} elements x 12 bytes`));
    }
  });

  it('rejects root, vtable and field offsets out of bounds', () => {
    const cases: Array<[string, (dv: DataView, len: number) => void, RegExp]> = [
      ['root offset', (dv, len) => dv.setUint32(0, len, true), /Envelope table at offset \d+ is past the end/],
      ['root offset near 2^32', (dv) => dv.setUint32(0, 0xfffffffc, true), /past the end/],
      ['vtable soffset', (dv) => dv.setInt32(dv.getUint32(0, true), -100000, true), /Envelope vtable at offset \d+ is outside/],
      ['vtable soffset negative position', (dv) => dv.setInt32(dv.getUint32(0, true), 100000, true), /Envelope vtable at offset -\d+ is outside/],
      [
        'vtable size',
        (dv) => {
          const t = dv.getUint32(0, true);
          dv.setUint16(t - dv.getInt32(t, true), 0xfffe, true);
        },
        /declares 65534 bytes/,
      ],
      [
        'table size',
        (dv) => {
          const t = dv.getUint32(0, true);
          dv.setUint16(t - dv.getInt32(t, true) + 2, 0xfff0, true);
        },
        /Envelope table at offset \d+ declares 65520 bytes/,
      ],
      [
        'field offset outside the table',
        (dv) => {
          const t = dv.getUint32(0, true);
          dv.setUint16(t - dv.getInt32(t, true) + 6, 0x4000, true);
        },
        /Envelope field #1 at table offset 16384/,
      ],
      [
        'union offset',
        (dv) => {
          const t = dv.getUint32(0, true);
          const vt = t - dv.getInt32(t, true);
          dv.setUint32(t + dv.getUint16(vt + 6, true), 0x10000000, true);
        },
        /Envelope\.message points to offset \d+, past the end/,
      ],
    ];
    for (const [name, patch, message] of cases) {
      const bytes = gateway5.slice();
      patch(new DataView(bytes.buffer), bytes.length);
      const err = wireErrorOf(() => decodeGatewayBatch(bytes, new RequestBuffer(8), 8));
      expect(err.code, name).toBe('ZLB_ERR_MALFORMED_FRAME');
      expect(err.message, name).toMatch(message);
    }
  });

  it('every truncation of a valid batch throws WireError (never RangeError)', () => {
    const out = new RequestBuffer(8);
    for (const frame of [gateway5, misaligned(gateway5)]) {
      for (let len = 0; len < frame.length; len++) {
        const cut = frame.subarray(0, len); // the bytes after the cut are still in the ArrayBuffer
        const err = wireErrorOf(() => decodeGatewayBatch(cut, out, 8));
        expect(['ZLB_ERR_MALFORMED_FRAME', 'ZLB_ERR_BAD_IDENTIFIER']).toContain(err.code);
        expect(out.count).toBe(0);
        // A copy (own ArrayBuffer of exactly `len` bytes) behaves the same.
        expect(() => decodeGatewayBatch(cut.slice(), out, 8)).toThrow(WireError);
      }
    }
  });

  it('rejects frames shorter than the header with a message naming the sizes', () => {
    const err = wireErrorOf(() => decodeEnvelope(new Uint8Array(5)));
    expect(err.message).toBe('frame too short: 5 bytes, a ZLB1 frame needs at least 12 (root offset, identifier, table)');
  });
});

describe('batch frames written in place', () => {
  // The encoders build each batch frame's header once and then write only the sequence
  // number, the length and the structs: whatever the order of lengths, every frame must be the
  // bytes flatc's builders give (with defaults written, so that seq 0 is in the frame too).
  it('gives the builders\' bytes for any sequence of lengths and sequence numbers', () => {
    const gateways = new GatewayBatchEncoder(2);
    const results = new ResultEncoder(2);
    fc.assert(
      fc.property(fc.array(fc.record({ seq: fc.oneof(fc.constant(0), fc.nat({ max: 0xffffffff })), n: fc.nat({ max: 70 }), seed: fc.nat({ max: 1000 }) }), { maxLength: 12 }), (frames) => {
        for (const { seq, n, seed } of frames) {
          const g = sampleGateway(n, seed);
          const frame = gateways.encode(seq, n, g.ops, g.players, g.zones);
          expect(frame).toEqual(referenceGateway(seq, g.ops, g.players, g.zones, true));
          if (seq !== 0) expect(frame).toEqual(referenceGateway(seq, g.ops, g.players, g.zones));
          const r = sampleResults(n);
          const answer = results.encode(seq, n, r.players, r.servers, r.positions, r.statuses);
          expect(answer).toEqual(referenceResults(seq, r, true));
          const out = new ResultBuffer(Math.max(1, n));
          decodeResultBatch(answer, out);
          expect([out.seq, out.count]).toEqual([seq, n]);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('ResultBatch', () => {
  it('encodes byte-identically to flatc createResult and round-trips, -1 <-> 0xFFFFFFFF', () => {
    const n = 50;
    const r = sampleResults(n);
    const enc = new ResultEncoder(4);
    const bytes = enc.encode(42, n, r.players, r.servers, r.positions, r.statuses);

    const b = new Builder(64);
    ResultBatch.startResultsVector(b, n);
    for (let i = n - 1; i >= 0; i--) Result.createResult(b, r.players[i], r.servers[i], r.positions[i], r.statuses[i]);
    const vec = b.endVector();
    Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, Message.ResultBatch, ResultBatch.createResultBatch(b, 42, vec)));
    expect(bytes).toEqual(b.asUint8Array());

    const env = Envelope.getRootAsEnvelope(new ByteBuffer(bytes));
    const rb = env.message(new ResultBatch()) as ResultBatch;
    expect(rb.results(2)?.server()).toBe(0xffffffff); // status 2 Queued: no server

    expect(decodeEnvelope(bytes)).toBe(MessageType.ResultBatch);
    const out = new ResultBuffer(n);
    decodeResultBatch(bytes, out);
    expect([out.seq, out.count]).toEqual([42, n]);
    expect(out.players).toEqual(r.players);
    expect(out.servers).toEqual(r.servers);
    expect(out.positions).toEqual(r.positions);
    expect(out.statuses).toEqual(r.statuses);
  });

  it('accepts Uint32Array server handles', () => {
    const r = sampleResults(4);
    const servers = new Uint32Array(r.servers.buffer);
    const out = new ResultBuffer(4);
    decodeResultBatch(new ResultEncoder().encode(3, 4, r.players, servers, r.positions, r.statuses), out);
    expect(out.servers).toEqual(r.servers);
  });

  it('returns a view that the next encode overwrites, and grows past its initial size', () => {
    const enc = new ResultEncoder(1);
    const r = sampleResults(3000);
    const out = new ResultBuffer(3000);
    const first = enc.encode(1, 2, r.players, r.servers, r.positions, r.statuses);
    const kept = first.slice();
    enc.encode(2, 2, r.players, r.servers, r.positions, r.statuses);
    decodeResultBatch(kept, out);
    expect(out.seq).toBe(1);
    decodeResultBatch(enc.encode(3, 3000, r.players, r.servers, r.positions, r.statuses), out);
    expect(out.count).toBe(3000);
    expect(out.statuses).toEqual(r.statuses);
  });

  it('property: any results round-trip', () => {
    const res = fc.record({
      player: fc.nat({ max: 0xffffffff }),
      server: fc.integer({ min: -1, max: 0x7fffffff }),
      position: fc.nat({ max: 0xffffffff }),
      status: fc.constantFrom(...Object.values(Status)),
    });
    const enc = new ResultEncoder(8);
    const out = new ResultBuffer(100);
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.array(res, { maxLength: 100 }), (seq, rs) => {
        const players = Uint32Array.from(rs, (x) => x.player);
        const servers = Int32Array.from(rs, (x) => x.server);
        const positions = Uint32Array.from(rs, (x) => x.position);
        const statuses = Uint8Array.from(rs, (x) => x.status);
        decodeResultBatch(enc.encode(seq, rs.length, players, servers, positions, statuses), out);
        expect(out.seq).toBe(seq);
        expect(out.count).toBe(rs.length);
        expect(out.players.subarray(0, rs.length)).toEqual(players);
        expect(out.servers.subarray(0, rs.length)).toEqual(servers);
        expect(out.positions.subarray(0, rs.length)).toEqual(positions);
        expect(out.statuses.subarray(0, rs.length)).toEqual(statuses);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects more results than the buffer holds, and unknown status codes', () => {
    const r = sampleResults(9);
    const bytes = new ResultEncoder().encode(5, 9, r.players, r.servers, r.positions, r.statuses).slice();
    const small = wireErrorOf(() => decodeResultBatch(bytes, new ResultBuffer(8)));
    expect(small.code).toBe('ZLB_ERR_BATCH_TOO_LARGE');
    expect(small.message).toMatch(/holds 9 results, the buffer holds at most 8/);
    r.statuses[2] = 9;
    const bad = new ResultEncoder().encode(5, 9, r.players, r.servers, r.positions, r.statuses);
    const err = wireErrorOf(() => decodeResultBatch(bad, new ResultBuffer(9)));
    expect(err.code).toBe('ZLB_ERR_INVALID_FIELD');
    expect(err.message).toMatch(/result #2 has status 9, expected one of 0 Ok, 1 Reconnected/);
  });

  it('every truncation throws WireError', () => {
    const r = sampleResults(6);
    const frame = new ResultEncoder().encode(5, 6, r.players, r.servers, r.positions, r.statuses).slice();
    const out = new ResultBuffer(8);
    for (let len = 0; len < frame.length; len++) {
      expect(() => decodeResultBatch(frame.subarray(0, len), out)).toThrow(WireError);
    }
  });

  it('rejects bad encoder input as a programming error', () => {
    const r = sampleResults(3);
    const enc = new ResultEncoder();
    expect(() => enc.encode(1, 4, r.players, r.servers, r.positions, r.statuses)).toThrow(RangeError);
    expect(() => enc.encode(-1, 3, r.players, r.servers, r.positions, r.statuses)).toThrow(RangeError);
    expect(() => enc.encode(1, 1.5, r.players, r.servers, r.positions, r.statuses)).toThrow(RangeError);
  });
});

describe('ReplacementBatch', () => {
  const ev = {
    count: 4,
    players: Uint32Array.of(1, 2, 3, 0xffffffff),
    oldServers: Int32Array.of(0x10005, 0x10005, -1, 7),
    newServers: Int32Array.of(0x20001, -1, 0x3, 8),
    zones: Uint32Array.of(10, 11, 12, 13),
    reasons: Uint8Array.of(Reason.Crashed, Reason.Lost, Reason.Admitted, Reason.Drained),
  };

  it('round-trips and matches flatc createReplacement', () => {
    const bytes = encodeReplacementBatch(ev);
    expect(decodeEnvelope(bytes)).toBe(MessageType.ReplacementBatch);
    expect(decodeReplacementBatch(bytes)).toEqual(ev);

    const b = new Builder(64);
    ReplacementBatch.startEventsVector(b, 4);
    for (let i = 3; i >= 0; i--) Replacement.createReplacement(b, ev.players[i], ev.oldServers[i], ev.newServers[i], ev.zones[i], ev.reasons[i]);
    const vec = b.endVector();
    Envelope.finishEnvelopeBuffer(b, Envelope.createEnvelope(b, Message.ReplacementBatch, ReplacementBatch.createReplacementBatch(b, vec)));
    expect(bytes).toEqual(b.asUint8Array());
  });

  it('accepts plain arrays and an empty batch', () => {
    const bytes = encodeReplacementBatch({ count: 1, players: [5], oldServers: [-1], newServers: [9], zones: [3], reasons: [Reason.Admitted] });
    const d = decodeReplacementBatch(bytes);
    expect([d.count, d.players[0], d.oldServers[0], d.newServers[0], d.zones[0], d.reasons[0]]).toEqual([1, 5, -1, 9, 3, Reason.Admitted]);
    expect(decodeReplacementBatch(encodeReplacementBatch({ ...ev, count: 0 })).count).toBe(0);
  });

  it('rejects unknown reasons and truncation', () => {
    const bad = encodeReplacementBatch({ ...ev, reasons: Uint8Array.of(1, 2, 0, 4) });
    expect(wireErrorOf(() => decodeReplacementBatch(bad)).message).toMatch(/event #2 has reason 0, expected one of 1 Crashed/);
    const frame = encodeReplacementBatch(ev);
    for (let len = 0; len < frame.length; len++) expect(() => decodeReplacementBatch(frame.subarray(0, len))).toThrow(WireError);
  });
});

describe('ServerReport / ServerAck / ErrorReply', () => {
  const report = { kind: ReportKind.Register, serverId: 'eu-west-3/gs-17 ✓', cpu: 0.25, memory: 0.5, players: 1234, weight: 2, address: '10.0.0.7:7777' };

  it('ServerReport round-trips (float32 fields) with and without address', () => {
    const bytes = encodeServerReport(report);
    expect(decodeEnvelope(bytes)).toBe(MessageType.ServerReport);
    expect(decodeServerReport(bytes)).toEqual(report);
    const hb = { kind: ReportKind.Heartbeat, serverId: 'a', cpu: 0.1, memory: 0.3, players: 0, weight: 0 };
    expect(decodeServerReport(encodeServerReport(hb))).toEqual({ ...hb, cpu: Math.fround(0.1), memory: Math.fround(0.3), address: '' });
    const env = Envelope.getRootAsEnvelope(new ByteBuffer(bytes));
    expect((env.message(new ServerReport()) as ServerReport).serverId()).toBe(report.serverId);
  });

  it('ServerReport validation', () => {
    const build = (kind: number, id: string | null, cpu: number) =>
      envelopeWith(Message.ServerReport, (b) => {
        const idOff = id === null ? 0 : b.createString(id);
        return ServerReport.createServerReport(b, kind, idOff, cpu, 0, 0, 0, 0);
      });
    const code = (bytes: Uint8Array) => wireErrorOf(() => decodeServerReport(bytes));
    expect(code(build(5, 'x', 0)).message).toBe('ServerReport.kind is 5, expected one of 1 Register, 2 Heartbeat, 3 Drain, 4 Leave');
    expect(code(build(1, null, 0)).message).toMatch(/server_id is missing/);
    expect(code(build(1, '', 0)).message).toMatch(/server_id is empty/);
    expect(code(build(1, 'x', NaN)).message).toMatch(/cpu is NaN/);
    expect(code(build(1, 'x', -1)).code).toBe('ZLB_ERR_INVALID_FIELD');
    expect(() => encodeServerReport({ ...report, kind: 9 as ReportKind })).toThrow(RangeError);
    expect(() => encodeServerReport({ ...report, serverId: '' })).toThrow(RangeError);
    expect(() => encodeServerReport({ ...report, cpu: Infinity })).toThrow(RangeError);
  });

  it('rejects invalid UTF-8 and unterminated strings', () => {
    const bytes = encodeServerReport({ ...report, address: undefined, serverId: 'abcd' });
    const at = bytes.findIndex((_, i) => bytes[i] === 0x61 && bytes[i + 1] === 0x62 && bytes[i + 2] === 0x63);
    const badUtf8 = bytes.slice();
    badUtf8[at] = 0xff;
    expect(wireErrorOf(() => decodeServerReport(badUtf8)).message).toMatch(/server_id: string of 4 bytes .* is not valid UTF-8/);
    const unterminated = bytes.slice();
    unterminated[at + 4] = 0x21;
    expect(wireErrorOf(() => decodeServerReport(unterminated)).message).toMatch(/not NUL-terminated/);
  });

  it('ServerAck round-trips, handle -1 <-> 0xFFFFFFFF', () => {
    const ok = { serverId: 'gs-1', handle: 0x30002, errorCode: '', message: '' };
    expect(decodeServerAck(encodeServerAck(ok))).toEqual(ok);
    const refused = { serverId: 'gs-2', handle: -1, errorCode: 'ZLB_ERR_FLEET_FULL', message: 'all 65536 server slots are in use' };
    const bytes = encodeServerAck(refused);
    expect(decodeEnvelope(bytes)).toBe(MessageType.ServerAck);
    expect(decodeServerAck(bytes)).toEqual(refused);
  });

  it('ErrorReply round-trips, and encodeWireError carries code, seq and message', () => {
    const e = { seq: 99, code: 'ZLB_ERR_MALFORMED_FRAME', message: 'frame too short' };
    const bytes = encodeErrorReply(e);
    expect(decodeEnvelope(bytes)).toBe(MessageType.ErrorReply);
    expect(decodeErrorReply(bytes)).toEqual(e);
    const generated = (Envelope.getRootAsEnvelope(new ByteBuffer(bytes)).message(new ErrorReply()) as ErrorReply).code();
    expect(generated).toBe(e.code);

    const s = sampleGateway(3);
    s.ops[0] = 9;
    const err = wireErrorOf(() => decodeGatewayBatch(encodeGatewayBatch(1234, 3, s.ops, s.players, s.zones), new RequestBuffer(4), 4));
    expect(decodeErrorReply(encodeWireError(err))).toEqual({ seq: 1234, code: 'ZLB_ERR_UNKNOWN_OP', message: err.message });
    const noSeq = wireErrorOf(() => decodeEnvelope(new Uint8Array(3)));
    expect(decodeErrorReply(encodeWireError(noSeq)).seq).toBe(0);
  });

  it('truncations and wrong types never throw anything but WireError', () => {
    const frames = [
      encodeServerReport(report),
      encodeServerAck({ serverId: 'gs', handle: 1, errorCode: 'E', message: 'm' }),
      encodeErrorReply({ seq: 1, code: 'c', message: 'm' }),
      gateway5,
      encodeReplacementBatch({ count: 1, players: [1], oldServers: [1], newServers: [2], zones: [3], reasons: [1] }),
    ];
    for (const frame of frames) {
      for (let len = 0; len <= frame.length; len++) {
        for (const [, decode] of allDecoders) onlyWireErrors(() => decode(frame.subarray(0, len)));
      }
    }
  });
});

describe('fuzzing: decoders throw nothing but WireError', () => {
  const validFrames = (() => {
    const r = sampleResults(4);
    return [
      gateway5,
      new ResultEncoder().encode(3, 4, r.players, r.servers, r.positions, r.statuses).slice(),
      encodeReplacementBatch({ count: 2, players: [1, 2], oldServers: [1, -1], newServers: [-1, 2], zones: [3, 4], reasons: [1, 4] }),
      encodeServerReport({ kind: ReportKind.Heartbeat, serverId: 'gs-1', cpu: 0.5, memory: 0.5, players: 3, weight: 1, address: 'h:1' }),
      encodeServerAck({ serverId: 'gs-1', handle: 5, errorCode: 'X', message: 'y' }),
      encodeErrorReply({ seq: 4, code: 'ZLB_ERR_UNKNOWN_OP', message: 'op 9' }),
    ];
  })();

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const [, decode] of allDecoders) onlyWireErrors(() => decode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a valid header (root offset + ZLB1)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 400 }), fc.uint8Array({ minLength: 4, maxLength: 300 }), (root, tail) => {
        const bytes = new Uint8Array(8 + tail.length);
        new DataView(bytes.buffer).setUint32(0, root, true);
        bytes.set([0x5a, 0x4c, 0x42, 0x31], 4);
        bytes.set(tail, 8);
        for (const [, decode] of allDecoders) onlyWireErrors(() => decode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('valid frames with random byte mutations and truncations', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: validFrames.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        (which, mutations, cut, misalign) => {
          const frame = validFrames[which].slice();
          for (const [at, value] of mutations) frame[at % frame.length] = value;
          let bytes: Uint8Array = frame.subarray(0, frame.length - (cut % 4 === 0 ? 0 : cut % frame.length));
          if (misalign) bytes = misaligned(bytes);
          for (const [, decode] of allDecoders) onlyWireErrors(() => decode(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
