/**
 * Loads uWebSockets.js and refuses to run on its slow fallback.
 *
 * package.json aliases "uWebSockets.js" to @trufflesuite/uws-js-unofficial, whose entry
 * (src/uws.js) requires the native binary for this platform and Node ABI and, if that fails
 * or UWS_USE_FALLBACK is set, silently returns a pure-JS implementation built on `ws`
 * (dist/index.js) that is many times slower and lacks parts of the API. A load balancer
 * running on it would look healthy and miss every performance target, so startup fails
 * instead, naming the file that was loaded and how to fix it.
 */
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';
import { ErrorCode, ZonelbError } from '../core/errors.ts';

export type UwsModule = typeof Uws;
export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_listen_socket } from 'uWebSockets.js';

const require = createRequire(import.meta.url);

let loaded: UwsModule | undefined;

/**
 * The native uWebSockets.js module. Throws ZonelbError ZLB_ERR_UWS_FALLBACK if the package
 * handed back its JavaScript fallback.
 */
export function loadUws(): UwsModule {
  if (loaded) return loaded;
  const mod = require('uWebSockets.js') as UwsModule;
  const file = loadedFrom(mod);
  if (file === undefined || !file.endsWith('.node')) {
    const why =
      process.env.UWS_USE_FALLBACK !== undefined && process.env.UWS_USE_FALLBACK !== ''
        ? `UWS_USE_FALLBACK=${process.env.UWS_USE_FALLBACK} is set; unset it`
        : `no native binary matches ${process.platform}-${process.arch} with Node ABI ${process.versions.modules} (Node ${process.versions.node}); use a Node version the package ships binaries for (see its binaries/ folder)`;
    throw new ZonelbError(
      ErrorCode.UwsFallback,
      `uWebSockets.js loaded its slow JavaScript fallback (${file ?? 'unknown file'}) instead of the native addon: ${why}`,
    );
  }
  loaded = mod;
  return mod;
}

/**
 * The file whose exports are `mod`. The wrapper (src/uws.js) re-exports what it loaded, so
 * both it and the real source hold the same object; the one that is not the wrapper wins.
 * Native addons appear in require.cache under their .node path, the fallback as dist/index.js.
 */
function loadedFrom(mod: unknown): string | undefined {
  let found: string | undefined;
  for (const entry of Object.values(require.cache)) {
    if (entry === undefined || entry.exports !== mod) continue;
    if (entry.filename.endsWith('.node')) return entry.filename;
    // The wrapper only re-exports; remember the real source over it.
    if (found === undefined || !entry.filename.endsWith('uws.js')) found = entry.filename;
  }
  return found;
}
