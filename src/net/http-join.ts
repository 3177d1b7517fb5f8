/**
 * POST /v1/join, the HTTP route load tests hit, without the generic route's per-request
 * closures and promises: a pool of JoinSlots, each the request's body reader, abort tracker,
 * engine request and ResultSink, with its callbacks bound once. Answers exactly what the
 * generic path would (same validation messages, same JSON).
 */
import { Op, statusName } from '../core/codes.ts';
import { ErrorCode, ZonelbError, invalidArgument } from '../core/errors.ts';
import { MAX_PLAYER_ID } from '../core/layout.ts';
import type { Engine, RequestArrays, ResultSink } from '../engine/types.ts';
import { joinBody, parseBody } from './http-schemas.ts';
import type { RawContext } from './http-router.ts';
import { parseJson, writeJson } from './http-util.ts';
import type { HttpRequest, HttpResponse } from './uws.ts';

/** Idle slots kept for reuse; more are made under load and dropped past this. */
const POOL_MAX = 1024;

export class JoinRoute {
  private readonly free: JoinSlot[] = [];

  constructor(
    readonly engine: Engine,
    readonly maxZones: number,
  ) {}

  /** The route's RawHandler. */
  readonly handle = (res: HttpResponse, _req: HttpRequest, ctx: RawContext): void => {
    const slot = this.free.pop() ?? new JoinSlot(this);
    slot.start(res, ctx);
  };

  release(slot: JoinSlot): void {
    slot.res = undefined;
    slot.ctx = undefined;
    slot.parts = undefined;
    if (this.free.length < POOL_MAX) this.free.push(slot);
  }
}

class JoinSlot implements RequestArrays, ResultSink {
  readonly ops = Uint8Array.of(Op.Join);
  readonly players = new Uint32Array(1);
  readonly zones = new Uint32Array(1);
  readonly status = new Uint8Array(1);
  readonly server = new Int32Array(1);
  readonly position = new Uint32Array(1);
  res: HttpResponse | undefined = undefined;
  ctx: RawContext | undefined = undefined;
  /** The client went away: the response must not be touched. */
  aborted = false;
  /** Handed to the engine: the slot is released by done(), not by an abort. */
  submitted = false;
  parts: Buffer[] | undefined = undefined;
  size = 0;
  readonly onAborted: () => void;
  readonly onData: (chunk: ArrayBuffer, isLast: boolean) => void;
  readonly respond: () => void;

  constructor(private readonly route: JoinRoute) {
    this.onAborted = () => {
      this.aborted = true;
      if (!this.submitted) this.route.release(this);
    };
    this.onData = (chunk, isLast) => this.data(chunk, isLast);
    this.respond = () => this.writeAnswer();
  }

  start(res: HttpResponse, ctx: RawContext): void {
    this.res = res;
    this.ctx = ctx;
    this.aborted = false;
    this.submitted = false;
    this.size = 0;
    res.onAborted(this.onAborted);
    res.onData(this.onData);
  }

  private data(chunk: ArrayBuffer, isLast: boolean): void {
    const res = this.res;
    const ctx = this.ctx;
    if (res === undefined || ctx === undefined) return; // already answered (body past the limit)
    this.size += chunk.byteLength;
    if (this.size > ctx.bodyLimit) {
      ctx.fail(res, this, new ZonelbError(ErrorCode.PayloadTooLarge, `request body is larger than ${ctx.bodyLimit} bytes (net option httpBodyLimitBytes)`), true);
      this.route.release(this);
      return;
    }
    if (!isLast) {
      // Chunks are only valid during the callback.
      (this.parts ??= []).push(Buffer.from(chunk.slice(0)));
      return;
    }
    let body: Buffer;
    if (this.parts === undefined) body = Buffer.from(chunk);
    else {
      this.parts.push(Buffer.from(chunk.slice(0)));
      body = Buffer.concat(this.parts, this.size);
    }
    try {
      this.parse(parseJson(body));
      this.submitted = true;
      this.route.engine.submit(this, 0, 1, this);
    } catch (e) {
      this.submitted = false;
      ctx.fail(res, this, e);
      this.route.release(this);
    }
  }

  /** Checks a `{ "player", "zone" }` body; the schema only runs (for its message) when it is not one. */
  private parse(v: unknown): void {
    let player: unknown;
    let zone: unknown;
    let keys = 0;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      player = o.player;
      zone = o.zone;
      keys = Object.keys(o).length;
    }
    if (!(keys === 2 && isInt(player) && player <= MAX_PLAYER_ID && isInt(zone))) {
      const b = parseBody(joinBody, v);
      player = b.player;
      zone = b.zone;
    }
    // Same check and message as engine.join, so both paths answer alike.
    if ((zone as number) >= this.route.maxZones) throw invalidArgument('zone', zone, `an integer in [0, ${this.route.maxZones - 1}] (maxZones)`);
    this.players[0] = player as number;
    this.zones[0] = zone as number;
  }

  done(): void {
    if (this.aborted || this.res === undefined) {
      this.route.release(this);
      return;
    }
    this.res.cork(this.respond);
  }

  private writeAnswer(): void {
    const st = this.status[0]!;
    const server = this.server[0]!;
    const id = this.route.engine.serverIdOf(server);
    // The key order and values of JSON.stringify(placementJson(...)), built without the object.
    const body =
      `{"player":${this.players[0]},"status":"${statusName[st] ?? st}","statusCode":${st},"server":${server},` +
      `"serverId":${id === undefined ? 'null' : JSON.stringify(id)},"position":${this.position[0]}}`;
    writeJson(this.res!, '200 OK', body);
    this.route.release(this);
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
