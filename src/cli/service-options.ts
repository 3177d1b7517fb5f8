/**
 * Command-line flags and the --config file, turned into validated engine and network options.
 *
 * Each flag names the option it sets; the config file holds the same options as JSON
 * (`{ "engine": {...}, "net": {...}, "scale": {...}, "logLevel": "info" }`), flags win over the
 * file, and the result is validated once by the engine's, the front end's and the scaling
 * schemas. Errors name the flag (and the config path) so a typo is found at once.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { resolveOptions, type EngineOptions } from '../core/options.ts';
import { resolveNetOptions, type NetOptions } from '../net/net-options.ts';
import { resolveScaleOptions, type ScaleOptions } from '../scale/scale-options.ts';

type Kind = 'int' | 'number' | 'string' | 'onoff';

export interface OptionFlag {
  flag: string;
  /** Where the value goes: "engine.<path>", "net.<path>" or "scale.<path>". */
  to: string;
  kind: Kind;
  help: string;
}

/** Flags every service-running command accepts (serve, demo). */
export const SERVICE_FLAGS: readonly OptionFlag[] = [
  { flag: 'port', to: 'net.port', kind: 'int', help: 'TCP port for HTTP and WebSocket (default 7700; 0 = any free port)' },
  { flag: 'host', to: 'net.host', kind: 'string', help: 'interface to listen on (default 0.0.0.0)' },
  { flag: 'shards', to: 'engine.shards', kind: 'int', help: 'shard worker threads (default: CPU cores - 1, at least 1; 1 = the engine on the main thread, no worker threads)' },
  { flag: 'cpu-limit', to: 'engine.limits.cpu', kind: 'number', help: 'a server takes no new player past this CPU fraction (default 0.8)' },
  { flag: 'memory-limit', to: 'engine.limits.memory', kind: 'number', help: 'same for memory (default 0.9)' },
  { flag: 'players-per-server', to: 'engine.limits.playersPerServer', kind: 'int', help: 'player cap of a weight-1 server (default 1000)' },
  { flag: 'reconnect-ms', to: 'engine.reconnectMs', kind: 'number', help: 'seat kept for a player that left (default 30000; 0 = none)' },
  { flag: 'suspect-after-ms', to: 'engine.suspectAfterMs', kind: 'number', help: 'no new joins on a server silent this long (default 3000)' },
  { flag: 'dead-after-ms', to: 'engine.deadAfterMs', kind: 'number', help: 'a server silent this long is dead, its players re-placed (default 5000)' },
  { flag: 'when-full', to: 'engine.whenFull', kind: 'string', help: 'queue | refuse: what a join gets when every server is full (default queue)' },
  { flag: 'queue-limit', to: 'engine.queueLimit', kind: 'int', help: 'most players waiting in line (default 100000)' },
  { flag: 'max-batch', to: 'engine.maxBatch', kind: 'int', help: 'most requests in one batch (default 65536)' },
  { flag: 'max-servers', to: 'engine.maxServers', kind: 'int', help: 'server slots (default 16384)' },
  { flag: 'max-zones', to: 'engine.maxZones', kind: 'int', help: 'zone ids are in [0, max-zones) (default 262144)' },
  { flag: 'max-players', to: 'engine.maxPlayers', kind: 'int', help: 'players one shard can hold (default 8388608); 68 bytes each are reserved, about 32 stay resident after long churn' },
  { flag: 'tick-ms', to: 'engine.tickMs', kind: 'number', help: 'background work period (default 100)' },
  { flag: 'max-backpressure', to: 'net.gatewayBackpressureBytes', kind: 'int', help: 'bytes a gateway may leave unread (beyond the last re-placement push) before it is closed, code 4008 (default 8388608)' },
  { flag: 'max-in-flight', to: 'net.maxInFlightPerGateway', kind: 'int', help: 'batches one gateway may have awaiting answers (default 64)' },
  { flag: 'body-limit', to: 'net.httpBodyLimitBytes', kind: 'int', help: 'largest HTTP body in bytes (default 4194304)' },
  { flag: 'autoscale', to: 'scale.mode', kind: 'string', help: 'off | reactive | predictive: the autoscaler (default off; predictive runs reactive until it has two seasons of history)' },
  { flag: 'scale-target', to: 'scale.target', kind: 'number', help: 'utilisation (seats taken / seats) the autoscaler aims at (default 0.7)' },
  { flag: 'scale-band', to: 'scale.band', kind: 'number', help: 'dead band around the target: out above target + band, in below target − band (default 0.1)' },
  { flag: 'scale-min', to: 'scale.min', kind: 'number', help: 'least fleet capacity, in weight units (default 1)' },
  { flag: 'scale-max', to: 'scale.max', kind: 'number', help: 'most fleet capacity, in weight units (default 100)' },
  { flag: 'scale-server-weight', to: 'scale.serverWeight', kind: 'number', help: 'weight of one new server (and of one Agones replica) (default 1)' },
  { flag: 'boot-delay-ms', to: 'scale.bootDelayMs', kind: 'number', help: 'from asking for a server to its first heartbeat; the forecast looks this far ahead (default 60000)' },
  { flag: 'scale-interval-ms', to: 'scale.intervalMs', kind: 'number', help: 'how often the autoscaler decides (default 5000)' },
  { flag: 'scale-out-cooldown-ms', to: 'scale.scaleOutCooldownMs', kind: 'number', help: 'no scale-out within this long of the last (default 15000)' },
  { flag: 'scale-in-cooldown-ms', to: 'scale.scaleInCooldownMs', kind: 'number', help: 'no scale-in within this long of the last scale-out or scale-in (default 300000)' },
  { flag: 'scale-provider', to: 'scale.provider', kind: 'string', help: 'webhook | agones: where decisions go (default webhook with --scale-webhook, else agones)' },
  { flag: 'scale-webhook', to: 'scale.webhook', kind: 'string', help: 'http(s) URL the autoscaler POSTs its decisions to, with retries' },
  { flag: 'hot-zones', to: 'scale.hotZones.enabled', kind: 'onoff', help: 'on | off: hot-zone detection and mitigation (default on)' },
  { flag: 'hot-zone-sample-ms', to: 'scale.hotZones.sampleMs', kind: 'number', help: 'how often zones are sampled (default 1000)' },
  { flag: 'hot-zone-baseline-ms', to: 'scale.hotZones.baselineMs', kind: 'number', help: 'time constant of each zone\'s baseline (default 120000)' },
  { flag: 'hot-zone-cool-ms', to: 'scale.hotZones.coolMs', kind: 'number', help: 'calm time before a hot zone is un-flagged and its plan lifted (default 10000)' },
  { flag: 'hot-zone-warmup-ms', to: 'scale.hotZones.warmupMs', kind: 'number', help: 'nothing is flagged this long after start, while baselines form (default 30000)' },
  { flag: 'hot-zone-k', to: 'scale.hotZones.k', kind: 'number', help: 'standard deviations above its baseline that make a zone hot (default 4)' },
  { flag: 'forecast-bucket-ms', to: 'scale.forecast.bucketMs', kind: 'number', help: 'arrivals are counted per bucket of this width (default 300000)' },
  { flag: 'forecast-season-ms', to: 'scale.forecast.seasonMs', kind: 'number', help: 'the forecast\'s season (default 86400000: a day)' },
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServiceOptions {
  engine: EngineOptions;
  net: NetOptions;
  scale: ScaleOptions;
  logLevel: LogLevel;
}

/** A usage error: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type ParsedValues = Record<string, string | boolean | undefined>;

/** The parseArgs option table for SERVICE_FLAGS plus `extra` (command-specific) flags. */
export function parseFlags(
  command: string,
  argv: readonly string[],
  extra: Record<string, { type: 'string' | 'boolean' }> = {},
): ParsedValues {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    config: { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean' },
    ...extra,
  };
  for (const f of SERVICE_FLAGS) options[f.flag] = { type: 'string' };
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as ParsedValues;
  } catch (e) {
    throw new UsageError(`zonelb ${command}: ${(e as Error).message}. Run "zonelb ${command} --help".`);
  }
}

/**
 * Engine and network options from parsed flags (over the --config file, over `base`), each
 * validated by its schema. Throws UsageError naming the flag or config path at fault.
 */
export function serviceOptions(values: ParsedValues, base: { engine?: object; net?: object; scale?: object; logLevel?: string } = {}): ServiceOptions {
  const file = typeof values.config === 'string' ? readConfig(values.config) : {};
  const roots: Record<string, Record<string, unknown>> = {
    engine: merge(base.engine ?? {}, file.engine ?? {}),
    net: merge(base.net ?? {}, file.net ?? {}),
    scale: merge(base.scale ?? {}, file.scale ?? {}),
  };
  for (const f of SERVICE_FLAGS) {
    const raw = values[f.flag];
    if (typeof raw !== 'string') continue;
    const [root, ...path] = f.to.split('.');
    setPath(roots[root!]!, path, convert(f, raw));
  }
  const logLevel = (values['log-level'] ?? file.logLevel ?? base.logLevel ?? 'info') as string;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  try {
    return {
      engine: resolveOptions(roots.engine),
      net: resolveNetOptions(roots.net),
      scale: resolveScaleOptions(roots.scale),
      logLevel: logLevel as LogLevel,
    };
  } catch (e) {
    if (e instanceof ZonelbError && e.code === ErrorCode.InvalidOption) throw new UsageError(withFlag(e));
    throw e;
  }
}

function convert(f: OptionFlag, raw: string): unknown {
  if (f.kind === 'string') return raw;
  if (f.kind === 'onoff') {
    if (raw === 'on') return true;
    if (raw === 'off') return false;
    throw new UsageError(`--${f.flag}: expected on or off, got ${JSON.stringify(raw)}`);
  }
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${f.flag}: expected a number, got ${JSON.stringify(raw)}`);
  if (f.kind === 'int' && !Number.isInteger(n)) throw new UsageError(`--${f.flag}: expected an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** "option limits.cpu: Too big..." → "... (--cpu-limit, or engine.limits.cpu in --config)". */
function withFlag(e: ZonelbError): string {
  const field = e.field ?? '';
  const to = field.startsWith('net.') || field.startsWith('scale.') ? field : `engine.${field}`;
  const flag = SERVICE_FLAGS.find((f) => f.to === to);
  return `${e.message} (${flag ? `--${flag.flag}, or ` : ''}${to} in --config)`;
}

interface ConfigFile {
  engine?: Record<string, unknown>;
  net?: Record<string, unknown>;
  scale?: Record<string, unknown>;
  logLevel?: string;
}

function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--config ${path}: expected a JSON object like {"engine": {...}, "net": {...}, "scale": {...}, "logLevel": "info"}`);
  }
  const obj = parsed as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'engine' && key !== 'net' && key !== 'scale' && key !== 'logLevel') {
      throw new UsageError(`--config ${path}: unknown key "${key}"; expected "engine", "net", "scale" and "logLevel"`);
    }
  }
  for (const key of ['engine', 'net', 'scale'] as const) {
    const v = obj[key];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw new UsageError(`--config ${path}: "${key}" must be an object`);
    }
  }
  if (obj.logLevel !== undefined && typeof obj.logLevel !== 'string') throw new UsageError(`--config ${path}: "logLevel" must be a string`);
  return obj as ConfigFile;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects (b wins); arrays and values are replaced, never mutated. */
function merge(a: object, b: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? merge(out[k], v) : v;
  return out;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let t = target;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = isPlainObject(t[k]) ? { ...t[k] } : {};
    t[k] = next;
    t = next;
  }
  t[path[path.length - 1]!] = value;
}

/** The flag lines of a command's --help. */
export function flagHelp(extra: readonly { flag: string; help: string }[] = []): string {
  const rows = [
    ...extra,
    ...SERVICE_FLAGS.map((f) => ({ flag: `${f.flag} <${f.kind === 'onoff' ? 'on|off' : f.kind === 'string' ? 'value' : 'n'}>`, help: f.help })),
    { flag: 'config <file.json>', help: 'options as JSON: {"engine": {...}, "net": {...}, "scale": {...}, "logLevel": "info"}; flags win' },
    { flag: 'log-level <level>', help: `${LOG_LEVELS.join(' | ')} (default info)` },
    { flag: 'help', help: 'this text' },
  ];
  const width = Math.max(...rows.map((r) => r.flag.length)) + 4;
  return rows.map((r) => `  --${r.flag.padEnd(width)}${r.help}`).join('\n');
}
