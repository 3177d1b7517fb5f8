/**
 * Command-line flags and the --config file, turned into validated engine and network options.
 *
 * Each flag names the option it sets; the config file holds the same options as JSON
 * (`{ "engine": {...}, "net": {...}, "logLevel": "info" }`), flags win over the file, and the
 * result is validated once by the engine's and the front end's own schemas. Errors name the
 * flag (and the config path) so a typo is found at once.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import { resolveOptions, type EngineOptions } from '../core/options.ts';
import { resolveNetOptions, type NetOptions } from '../net/net-options.ts';

type Kind = 'int' | 'number' | 'string';

export interface OptionFlag {
  flag: string;
  /** Where the value goes: "engine.<path>" or "net.<path>". */
  to: string;
  kind: Kind;
  help: string;
}

/** Flags every service-running command accepts (serve, demo). */
export const SERVICE_FLAGS: readonly OptionFlag[] = [
  { flag: 'port', to: 'net.port', kind: 'int', help: 'TCP port for HTTP and WebSocket (default 7700; 0 = any free port)' },
  { flag: 'host', to: 'net.host', kind: 'string', help: 'interface to listen on (default 0.0.0.0)' },
  { flag: 'shards', to: 'engine.shards', kind: 'int', help: 'shard worker threads (default: CPU cores; 1 = no worker threads)' },
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
  { flag: 'max-players', to: 'engine.maxPlayers', kind: 'int', help: 'players one shard can hold (default 8388608)' },
  { flag: 'tick-ms', to: 'engine.tickMs', kind: 'number', help: 'background work period (default 100)' },
  { flag: 'max-backpressure', to: 'net.gatewayBackpressureBytes', kind: 'int', help: 'unread reply bytes before a gateway is closed, code 4008 (default 8388608)' },
  { flag: 'max-in-flight', to: 'net.maxInFlightPerGateway', kind: 'int', help: 'batches one gateway may have awaiting answers (default 64)' },
  { flag: 'body-limit', to: 'net.httpBodyLimitBytes', kind: 'int', help: 'largest HTTP body in bytes (default 4194304)' },
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServiceOptions {
  engine: EngineOptions;
  net: NetOptions;
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
export function serviceOptions(values: ParsedValues, base: { engine?: object; net?: object; logLevel?: string } = {}): ServiceOptions {
  const file = typeof values.config === 'string' ? readConfig(values.config) : {};
  const engine: Record<string, unknown> = merge(base.engine ?? {}, file.engine ?? {});
  const net: Record<string, unknown> = merge(base.net ?? {}, file.net ?? {});
  for (const f of SERVICE_FLAGS) {
    const raw = values[f.flag];
    if (typeof raw !== 'string') continue;
    const [root, ...path] = f.to.split('.');
    setPath(root === 'engine' ? engine : net, path, convert(f, raw));
  }
  const logLevel = (values['log-level'] ?? file.logLevel ?? base.logLevel ?? 'info') as string;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  try {
    return { engine: resolveOptions(engine), net: resolveNetOptions(net), logLevel: logLevel as LogLevel };
  } catch (e) {
    if (e instanceof ZonelbError && e.code === ErrorCode.InvalidOption) throw new UsageError(withFlag(e));
    throw e;
  }
}

function convert(f: OptionFlag, raw: string): unknown {
  if (f.kind === 'string') return raw;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${f.flag}: expected a number, got ${JSON.stringify(raw)}`);
  if (f.kind === 'int' && !Number.isInteger(n)) throw new UsageError(`--${f.flag}: expected an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** "option limits.cpu: Too big..." → "... (--cpu-limit, or engine.limits.cpu in --config)". */
function withFlag(e: ZonelbError): string {
  const field = e.field ?? '';
  const to = field.startsWith('net.') ? field : `engine.${field}`;
  const flag = SERVICE_FLAGS.find((f) => f.to === to);
  return `${e.message} (${flag ? `--${flag.flag}, or ` : ''}${to} in --config)`;
}

interface ConfigFile {
  engine?: Record<string, unknown>;
  net?: Record<string, unknown>;
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
    throw new UsageError(`--config ${path}: expected a JSON object like {"engine": {...}, "net": {...}, "logLevel": "info"}`);
  }
  const obj = parsed as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'engine' && key !== 'net' && key !== 'logLevel') {
      throw new UsageError(`--config ${path}: unknown key "${key}"; expected "engine", "net" and "logLevel"`);
    }
  }
  for (const key of ['engine', 'net'] as const) {
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
    ...SERVICE_FLAGS.map((f) => ({ flag: `${f.flag} <${f.kind === 'string' ? 'value' : 'n'}>`, help: f.help })),
    { flag: 'config <file.json>', help: 'options as JSON: {"engine": {...}, "net": {...}, "logLevel": "info"}; flags win' },
    { flag: 'log-level <level>', help: `${LOG_LEVELS.join(' | ')} (default info)` },
    { flag: 'help', help: 'this text' },
  ];
  const width = Math.max(...rows.map((r) => r.flag.length)) + 4;
  return rows.map((r) => `  --${r.flag.padEnd(width)}${r.help}`).join('\n');
}
