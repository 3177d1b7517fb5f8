/**
 * The network front end, wired: one uWebSockets.js app on the main thread serving the gateway
 * WebSocket, the game-server WebSocket and the HTTP JSON API over one port, with the engine's
 * re-placement events pushed to every gateway.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Reason } from '../core/codes.ts';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { resolveOptions, type EngineOptions, type EngineOptionsInput } from '../core/options.ts';
import type { EngineRuntime } from '../engine/engine-base.ts';
import type { Engine, ReplacementEvent } from '../engine/types.ts';
import { createEngine } from '../index.ts';
import { FleetControl, countLost } from './fleet-control.ts';
import { GatewayEndpoint, type GatewayUserData } from './gateway-socket.ts';
import { apiRoutes } from './http-api.ts';
import { HttpRouter, type Route } from './http-router.ts';
import { NetStats } from './net-stats.ts';
import { resolveNetOptions, type NetOptions, type NetOptionsInput } from './net-options.ts';
import { replacementFrames } from './replacement-frames.ts';
import { ServerEndpoint, type ServerUserData } from './server-socket.ts';
import { loadUws, type TemplatedApp, type UwsModule, type WebSocketBehavior, type us_listen_socket } from './uws.ts';

export const GATEWAY_PATH = '/v1/gateway';
export const SERVER_PATH = '/v1/server';

/** What an extension (observability) is given to build its routes and sockets from. */
export interface ExtensionContext {
  engine: Engine;
  engineOptions: EngineOptions;
  stats: NetStats;
  logger: Logger;
  uws: UwsModule;
}

/** Extra HTTP routes and WebSockets served on the same port, mounted before the app listens. */
export interface ServerExtension {
  routes: Route[];
  websockets: { path: string; summary: string; behavior: WebSocketBehavior<unknown> }[];
  /** Called when the server closes (stop timers, close sockets). */
  close(): void;
}

export type ExtensionFactory = (ctx: ExtensionContext) => ServerExtension;

export interface ZonelbServerOptions {
  /** Mounted in order, e.g. src/obs's metrics and dashboard. */
  extensions?: readonly ExtensionFactory[];
  engine: Engine;
  /** The resolved options the engine was created with (maxBatch sizes the gateway frames). */
  engineOptions: EngineOptions;
  net: NetOptions;
  logger: Logger;
}

type State = 'ready' | 'closing' | 'closed';

export class ZonelbServer {
  readonly stats = new NetStats();
  readonly host: string;
  /** The port actually bound (differs from the option when it was 0). */
  port = 0;
  private state: State = 'closing';
  private readonly app: TemplatedApp;
  private listenSocket: us_listen_socket | undefined;
  private readonly gateways: GatewayEndpoint;
  private readonly servers: ServerEndpoint;
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  private readonly perFrame: number;
  private readonly extensions: ServerExtension[];

  private constructor(o: ZonelbServerOptions) {
    const uws = loadUws(); // throws ZLB_ERR_UWS_FALLBACK before anything listens
    this.log = o.logger;
    this.host = o.net.host;
    this.perFrame = o.net.replacementsPerFrame;
    const fleet = new FleetControl(o.engine, o.logger);
    this.gateways = new GatewayEndpoint(
      o.engine,
      {
        maxBatch: o.engineOptions.maxBatch,
        backpressureBytes: o.net.gatewayBackpressureBytes,
        maxInFlight: o.net.maxInFlightPerGateway,
        idleTimeoutSec: o.net.idleTimeoutSec,
        replacementsPerFrame: o.net.replacementsPerFrame,
      },
      this.stats,
      o.logger,
    );
    this.servers = new ServerEndpoint(o.engine, fleet, o.net.serverBackpressureBytes, o.net.idleTimeoutSec, this.stats, o.logger);
    this.app = uws.App();
    this.app.ws<GatewayUserData>(GATEWAY_PATH, this.gateways.behavior(uws));
    this.app.ws<ServerUserData>(SERVER_PATH, this.servers.behavior(uws));
    const ctx: ExtensionContext = { engine: o.engine, engineOptions: o.engineOptions, stats: this.stats, logger: o.logger, uws };
    this.extensions = (o.extensions ?? []).map((make) => make(ctx));
    const extraSockets = this.extensions.flatMap((x) => x.websockets);
    for (const w of extraSockets) this.app.ws(w.path, w.behavior);
    new HttpRouter(o.net.httpBodyLimitBytes, this.stats, o.logger).mount(
      this.app,
      apiRoutes({
        engine: o.engine,
        fleet,
        stats: this.stats,
        maxBatch: o.engineOptions.maxBatch,
        maxZones: o.engineOptions.maxZones,
        ready: () => this.state === 'ready',
        startedAt: performance.now(),
        websockets: {
          [GATEWAY_PATH]: 'gateways: binary GatewayBatch in, ResultBatch / ErrorReply / ReplacementBatch out (schema/zonelb.fbs)',
          [SERVER_PATH]: 'game servers: binary ServerReport in, ServerAck / ErrorReply out',
          ...Object.fromEntries(extraSockets.map((w) => [w.path, w.summary])),
        },
      }).concat(this.extensions.flatMap((x) => x.routes)),
    );
    this.unsubscribe = o.engine.onReplacement((events) => this.onReplacement(events));
  }

  /** Builds the app and listens. Throws ZLB_ERR_UWS_FALLBACK or ZLB_ERR_LISTEN_FAILED. */
  static async listen(o: ZonelbServerOptions): Promise<ZonelbServer> {
    const server = new ZonelbServer(o);
    try {
      await server.bind(o.net.port);
    } catch (e) {
      server.unsubscribe();
      for (const x of server.extensions) x.close();
      throw e;
    }
    return server;
  }

  private bind(port: number): Promise<void> {
    const uws = loadUws();
    return new Promise((resolve, reject) => {
      this.app.listen(this.host, port, (socket) => {
        if (socket === false) {
          reject(new ZonelbError(ErrorCode.ListenFailed, `cannot listen on ${this.host}:${port}: port in use, or not an address of this host (--port 0 picks a free port)`, { field: 'port' }));
          return;
        }
        this.listenSocket = socket;
        this.port = uws.us_socket_local_port(socket as never);
        this.state = 'ready';
        this.log.info({ host: this.host, port: this.port, gateway: GATEWAY_PATH, server: SERVER_PATH }, 'zonelb listening');
        resolve();
      });
    });
  }

  /** Base URL for clients on this machine (a wildcard host is reached through loopback). */
  get url(): string {
    const host = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  private onReplacement(events: ReplacementEvent[]): void {
    if (this.state !== 'ready' || events.length === 0) return;
    try {
      this.gateways.broadcast(replacementFrames(events, this.perFrame));
    } catch (e) {
      // Called from inside the engine's publish: never let a push failure reach the engine.
      this.log.error({ err: e, events: events.length }, 'pushing re-placements failed');
      return;
    }
    this.stats.replacementsPushed += events.length;
    const by = reasonCounts(events);
    // Debug: the crash, drain or removal that caused it is the control-plane event's own line.
    this.log.debug({ events: events.length, ...by, gateways: this.gateways.connections.size }, 'players re-placed');
  }

  /** Stops listening and closes every socket. The engine is the caller's to close. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.unsubscribe();
    this.gateways.closeAll();
    this.servers.closeAll();
    for (const x of this.extensions) x.close();
    if (this.listenSocket) loadUws().us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    // Also drops idle HTTP keep-alive connections, which would otherwise keep the process up.
    (this.app as TemplatedApp & { close?: () => void }).close?.();
    this.state = 'closed';
    this.log.info({ port: this.port }, 'zonelb stopped');
  }
}

function reasonCounts(events: readonly ReplacementEvent[]): Record<string, number> {
  const out = { crashed: 0, drained: 0, removed: 0, admitted: 0, lost: countLost(events) };
  for (const e of events) {
    if (e.reason === Reason.Crashed) out.crashed++;
    else if (e.reason === Reason.Drained) out.drained++;
    else if (e.reason === Reason.Removed) out.removed++;
    else if (e.reason === Reason.Admitted) out.admitted++;
  }
  return out;
}

export interface StartOptions {
  /** Extra routes and sockets (src/obs's metrics and dashboard: `zonelb serve` passes them). */
  extensions?: readonly ExtensionFactory[];
  engine?: EngineOptionsInput;
  net?: NetOptionsInput;
  logger?: Logger;
  runtime?: EngineRuntime;
}

export interface RunningZonelb {
  server: ZonelbServer;
  engine: Engine;
  engineOptions: EngineOptions;
  /** Closes the server, then the engine. */
  close(): Promise<void>;
}

/** Validates the options, starts the engine and the server. What `zonelb serve` runs. */
export async function startZonelb(o: StartOptions = {}): Promise<RunningZonelb> {
  const engineOptions = resolveOptions(o.engine);
  const net = resolveNetOptions(o.net);
  const logger = o.logger ?? pino({ level: 'info' });
  loadUws(); // fail before spawning shard workers
  const engine = await createEngine(engineOptions, o.runtime);
  let server: ZonelbServer;
  try {
    server = await ZonelbServer.listen({ engine, engineOptions, net, logger, extensions: o.extensions });
  } catch (e) {
    await engine.close();
    throw e;
  }
  return {
    server,
    engine,
    engineOptions,
    close: async () => {
      await server.close();
      await engine.close();
    },
  };
}
