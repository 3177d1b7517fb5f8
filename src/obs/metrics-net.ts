import type { Registry } from 'prom-client';
import type { NetStats } from '../net/net-stats.ts';
import { registerHdrSummary } from './hdr-summary.ts';
import type { LatencyWindow } from './latency-window.ts';
import { counterOf, gaugeOf, labelledCounter } from './metric-helpers.ts';

/** The front end: connections, gateway batches and their latency, HTTP, refusals by error code. */
export function registerNetMetrics(registry: Registry, net: NetStats, gatewayLatency: LatencyWindow, clock: () => number): void {
  gaugeOf(registry, 'zonelb_gateways_connected', 'Gateway WebSockets open', () => net.gatewaysOpen);
  gaugeOf(registry, 'zonelb_server_sockets_connected', 'Game-server WebSockets open', () => net.serversOpen);
  counterOf(registry, 'zonelb_gateway_batches_total', 'Gateway batches answered', () => net.batches);
  counterOf(registry, 'zonelb_gateway_requests_total', 'Requests carried by the gateway batches answered', () => net.requests);
  counterOf(registry, 'zonelb_http_requests_total', 'HTTP requests served', () => net.httpRequests);
  counterOf(registry, 'zonelb_slow_consumer_closes_total', 'Sockets closed because they stopped reading their replies', () => net.slowConsumerCloses);
  counterOf(registry, 'zonelb_replacements_pushed_total', 'Re-placement events pushed to gateways', () => net.replacementsPushed);
  labelledCounter(registry, 'zonelb_request_errors_total', 'Frames and HTTP requests refused with an error, by error code', ['code'], (set) => {
    for (const [code, n] of net.errors) set({ code }, n);
  });
  registerHdrSummary(
    registry,
    'zonelb_gateway_batch_latency_seconds',
    'Time from a gateway batch arriving to its answers being handed to the socket (quantiles over the last minute)',
    gatewayLatency,
    clock,
  );
}
