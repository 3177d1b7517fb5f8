/**
 * A tiny JSON router over uWebSockets.js. Each route is a handler from (path parameters, parsed
 * body, query) to a reply object or its promise; the router reads and limits the body, tracks
 * aborted responses (a response may only be touched until the client goes away), corks the
 * reply, turns thrown errors into the JSON error shape, and answers 405 (with Allow) for a
 * known path under another method and 404 for an unknown path.
 */
import type { Logger } from 'pino';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import type { NetStats } from './net-stats.ts';
import { errorJson, httpStatusOf, parseJson, pathParam, readBody, toZonelbError, writeJson } from './http-util.ts';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.ts';

export type Method = 'get' | 'post' | 'del';

export interface ApiRequest {
  /** Decoded path parameters, in pattern order. */
  params: string[];
  /** Parsed JSON body; undefined when empty or for methods without one. */
  body: unknown;
  /** Raw query string (without "?"). */
  query: string;
}

/** A reply with a status other than 200. */
export class ApiReply {
  constructor(
    readonly status: string,
    readonly body: unknown,
  ) {}
}

export type Handler = (req: ApiRequest) => unknown;

/** What a raw route gets from the router: the body limit and the error reply. */
export interface RawContext {
  readonly bodyLimit: number;
  /** Answers `e` as the JSON error shape (unless the client is gone, `state.aborted`). */
  fail(res: HttpResponse, state: { aborted: boolean }, e: unknown, closeConnection?: boolean): void;
}

/**
 * A route that drives the response itself (reads the body, tracks abort, replies corked): for
 * the hot join route, which avoids the generic path's closures and promises per request.
 */
export type RawHandler = (res: HttpResponse, req: HttpRequest, ctx: RawContext) => void;

export interface Route {
  method: Method;
  /** uWebSockets.js pattern, e.g. "/v1/servers/:id/heartbeat". */
  path: string;
  /** One line for GET / (the route index). */
  summary: string;
  /** Exactly one of handler and raw. */
  handler?: Handler;
  raw?: RawHandler;
}

const WIRE_METHOD: Record<Method, string> = { get: 'GET', post: 'POST', del: 'DELETE' };

export class HttpRouter implements RawContext {
  constructor(
    readonly bodyLimit: number,
    private readonly stats: NetStats,
    private readonly log: Logger,
  ) {}

  mount(app: TemplatedApp, routes: readonly Route[]): void {
    const byPath = new Map<string, Route[]>();
    for (const r of routes) {
      const list = byPath.get(r.path) ?? [];
      list.push(r);
      byPath.set(r.path, list);
      const paramCount = (r.path.match(/\/:/g) ?? []).length;
      const raw = r.raw;
      if (raw) {
        app[r.method](r.path, (res, req) => {
          this.stats.httpRequests++;
          raw(res, req, this);
        });
      } else app[r.method](r.path, (res, req) => this.serve(res, req, r, paramCount));
    }
    // uWebSockets.js prefers a route registered for the method over `any`, so these only see
    // the methods no route handles.
    for (const [path, list] of byPath) {
      const allow = list.map((r) => WIRE_METHOD[r.method]).join(', ');
      app.any(path, (res, req) => {
        this.stats.httpRequests++;
        const err = new ZonelbError(ErrorCode.MethodNotAllowed, `${req.getMethod().toUpperCase()} is not served on ${path}; allowed: ${allow}`);
        this.stats.countError(err.code);
        res.writeStatus(httpStatusOf(err.code)).writeHeader('allow', allow).writeHeader('content-type', 'application/json').end(errorJson(err));
      });
    }
    app.any('/*', (res, req) => {
      this.stats.httpRequests++;
      const err = new ZonelbError(ErrorCode.NotFound, `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}; GET / lists the routes`);
      this.stats.countError(err.code);
      writeJson(res, httpStatusOf(err.code), errorJson(err));
    });
  }

  private serve(res: HttpResponse, req: HttpRequest, route: Route, paramCount: number): void {
    this.stats.httpRequests++;
    // The request object is only valid during this call: read everything from it now.
    const query = req.getQuery() ?? '';
    const state = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    let params: string[];
    try {
      params = [];
      for (let i = 0; i < paramCount; i++) params.push(pathParam(req.getParameter(i), `param${i}`));
    } catch (e) {
      this.fail(res, state, e);
      return;
    }
    if (route.method === 'get') {
      this.run(res, state, route, { params, body: undefined, query });
      return;
    }
    readBody(
      res,
      this.bodyLimit,
      (buf) => {
        let body: unknown;
        try {
          body = parseJson(buf);
        } catch (e) {
          this.fail(res, state, e);
          return;
        }
        this.run(res, state, route, { params, body, query });
      },
      (err) => this.fail(res, state, err, true),
    );
  }

  private run(res: HttpResponse, state: { aborted: boolean }, route: Route, req: ApiRequest): void {
    let out: unknown;
    try {
      out = route.handler!(req);
    } catch (e) {
      this.fail(res, state, e);
      return;
    }
    if (out instanceof Promise) {
      out.then(
        (v: unknown) => this.reply(res, state, v),
        (e: unknown) => this.fail(res, state, e),
      );
    } else this.reply(res, state, out);
  }

  private reply(res: HttpResponse, state: { aborted: boolean }, v: unknown): void {
    if (state.aborted) return;
    const status = v instanceof ApiReply ? v.status : '200 OK';
    const body = JSON.stringify(v instanceof ApiReply ? v.body : v);
    res.cork(() => writeJson(res, status, body));
  }

  fail(res: HttpResponse, state: { aborted: boolean }, e: unknown, closeConnection = false): void {
    const err = toZonelbError(e);
    this.stats.countError(err.code);
    if (err.code === ErrorCode.Internal) this.log.error({ err: e }, 'HTTP request failed');
    if (state.aborted) return;
    res.cork(() => {
      res.writeStatus(httpStatusOf(err.code)).writeHeader('content-type', 'application/json');
      // Past the body limit the rest of the body is still on its way: close instead of reading it.
      res.end(errorJson(err), closeConnection);
    });
  }
}
