/**
 * The webhook provider: each decision is POSTed as JSON to a URL the operator configures (a
 * cloud function, a Nomad or Kubernetes operator, a script). Retries with exponential backoff
 * and full jitter on network errors, timeouts, 408, 429 and 5xx; other 4xx answers are final
 * (the body is wrong, retrying will not fix it). Since the receiver's servers boot out of
 * sight, capacity asked for counts as pending until that much has registered or twice the
 * boot delay has passed.
 *
 * Bodies:
 *   {"type":"scale-out","at":…,"desired":6,"actual":4,"add":2,"mode":"predictive","reason":"…"}
 *   {"type":"release","at":…,"serverId":"gs-7"}
 */
import { ErrorCode, ZonelbError, invalidArgument } from '../core/errors.ts';
import { PendingRequests, type FleetView, type ScaleOutRequest, type ScaleProvider } from './provider.ts';

export interface WebhookOptions {
  url: string;
  /** Attempts per call, the first included. */
  attempts?: number;
  /** First backoff (ms); doubles each retry, capped at maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt timeout (ms). */
  timeoutMs?: number;
  /** Booting servers count as pending this long at most. */
  pendingExpireMs: number;
  /** Extra headers (e.g. an authorization token from the environment). */
  headers?: Record<string, string>;
  /** Injected for tests: sleep and the jitter source. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class WebhookProvider implements ScaleProvider {
  readonly name = 'webhook';
  readonly url: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly requests: PendingRequests;
  private lastFleet: FleetView = { units: 0, ids: new Set() };
  private wanted: number | undefined;
  /** Attempts made by the last call (for status and tests). */
  lastAttempts = 0;

  constructor(o: WebhookOptions) {
    const parsed = URL.canParse(o.url) ? new URL(o.url) : undefined;
    if (!parsed || parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidArgument('scale.webhook', o.url, 'an http:// or https:// URL');
    this.url = parsed.toString();
    this.attempts = positiveInt('attempts', o.attempts ?? 5);
    this.backoffMs = o.backoffMs ?? 200;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.timeoutMs = o.timeoutMs ?? 5_000;
    this.headers = { 'content-type': 'application/json', ...o.headers };
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = o.random ?? Math.random;
    this.requests = new PendingRequests(o.pendingExpireMs);
  }

  pending(now: number, fleet: FleetView): number {
    this.lastFleet = fleet;
    return this.requests.pending(now, fleet);
  }

  desired(): number | undefined {
    return this.wanted;
  }

  async scaleOut(req: ScaleOutRequest): Promise<void> {
    this.wanted = req.desired;
    await this.post({ type: 'scale-out', at: req.at, desired: req.desired, actual: req.actual, add: req.add, mode: req.mode, reason: req.reason });
    this.requests.add(req.at, req.add, this.lastFleet);
  }

  async release(serverId: string, at: number): Promise<void> {
    await this.post({ type: 'release', at, serverId });
  }

  /** POSTs `body`, retrying as described above; throws ZLB_ERR_SCALE_WEBHOOK_FAILED when every attempt failed. */
  async post(body: unknown): Promise<void> {
    const text = JSON.stringify(body);
    let last = '';
    let cause: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      this.lastAttempts = attempt;
      let retry = true;
      try {
        const res = await fetch(this.url, { method: 'POST', headers: this.headers, body: text, signal: AbortSignal.timeout(this.timeoutMs) });
        await res.arrayBuffer(); // drain it, so the connection is reused
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        retry = res.status === 408 || res.status === 429 || res.status >= 500;
      } catch (e) {
        cause = e;
        last = (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e as Error).message;
      }
      if (!retry || attempt === this.attempts) break;
      // Full jitter: a fleet of balancers restarting together does not retry in step.
      const cap = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
      await this.sleep(cap * (0.5 + 0.5 * this.random()));
    }
    throw new ZonelbError(ErrorCode.ScaleWebhookFailed, `scaling webhook ${this.url} failed after ${this.lastAttempts} attempt(s): ${last}`, {
      field: 'scale.webhook',
      cause,
    });
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw invalidArgument(name, v, 'an integer ≥ 1');
  return v;
}
