import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RawHandler, Route } from '../net/http-router.ts';

export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_SOCKET_PATH = '/v1/dashboard';

interface Asset {
  path: string;
  type: string;
  body: Buffer;
  summary: string;
}

/**
 * The page's own files live beside the sources, in src/obs/dashboard/. The URL is taken from the
 * package root, so it is the same folder whether this module runs from src/obs (tsx, vitest) or
 * from dist/obs (after `npm run build`, which compiles TypeScript only).
 */
const PAGE_DIR = new URL('../../src/obs/dashboard/', import.meta.url);

/** The page's modules, in src/obs/dashboard/ (browser ES modules, served as they are). */
const MODULES = ['app.js', 'charts.js', 'feed.js', 'format.js', 'panels.js'];

/**
 * Everything the dashboard needs, read once at startup: the page, its modules and style, and
 * uPlot from node_modules (no CDN: the page works on an air-gapped operator network).
 */
export function loadDashboardAssets(): Asset[] {
  const require = createRequire(import.meta.url);
  // uplot has no "exports" map: its dist files resolve by path.
  const uplotJs = require.resolve('uplot/dist/uPlot.iife.min.js');
  const uplotCss = require.resolve('uplot/dist/uPlot.min.css');
  const page = (name: string): Buffer => readFileSync(fileURLToPath(new URL(name, PAGE_DIR)));
  return [
    { path: DASHBOARD_PATH, type: 'text/html; charset=utf-8', body: page('index.html'), summary: 'live dashboard (servers, zones, hot zones, events, throughput and latency)' },
    ...MODULES.map((name) => ({ path: `${DASHBOARD_PATH}/${name}`, type: 'text/javascript; charset=utf-8', body: page(name), summary: `dashboard module ${name}` })),
    { path: `${DASHBOARD_PATH}/app.css`, type: 'text/css; charset=utf-8', body: page('app.css'), summary: 'dashboard style' },
    { path: `${DASHBOARD_PATH}/uplot.js`, type: 'text/javascript; charset=utf-8', body: readFileSync(uplotJs), summary: 'uPlot (charts), from node_modules' },
    { path: `${DASHBOARD_PATH}/uplot.css`, type: 'text/css; charset=utf-8', body: readFileSync(uplotCss), summary: 'uPlot style' },
  ];
}

/** GET routes serving each asset as is. */
export function assetRoutes(assets: readonly Asset[]): Route[] {
  return assets.map((a) => ({ method: 'get', path: a.path, summary: a.summary, raw: serve(a) }));
}

function serve(a: Asset): RawHandler {
  return (res) => {
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('content-type', a.type).writeHeader('cache-control', 'no-cache').end(a.body);
    });
  };
}
