import { z } from 'zod';
import { parseOptions } from '../core/parse-options.ts';

/**
 * Options of the network front end (the engine's own options live in src/core/options.ts).
 * Validated once, at the entry point, against this schema; defaults are here and only here.
 */
export const netOptionsSchema = z
  .object({
    /** Interface to listen on ("0.0.0.0": every interface; game servers are usually remote). */
    host: z.string().min(1).default('0.0.0.0'),
    /** TCP port for HTTP and WebSocket (0: any free port, read it back from the server). */
    port: z.number().int().min(0).max(65535).default(7700),
    /**
     * Unsent bytes a gateway may have queued, beyond what the last re-placement push left
     * unsent, before it is closed as a slow consumer (close code 4008). One that stopped
     * reading holds at most this, one push, and this again (gateway-socket.ts).
     */
    gatewayBackpressureBytes: z.number().int().min(64 * 1024).max(1 << 30).default(8 << 20),
    /** Same for game-server sockets (their acks are small). */
    serverBackpressureBytes: z.number().int().min(16 * 1024).max(1 << 30).default(1 << 20),
    /** Batches one gateway may have awaiting answers; past it a batch is refused (ErrorReply). */
    maxInFlightPerGateway: z.number().int().min(1).max(4096).default(64),
    /** Largest HTTP request body (413 past it). */
    httpBodyLimitBytes: z.number().int().min(1024).max(1 << 30).default(4 << 20),
    /** Seconds without traffic before a socket is closed; pings are sent automatically. 0: never. */
    idleTimeoutSec: z.number().int().min(0).max(960).default(120),
    /** Re-placement events per pushed frame (a crash of a big server is split over frames). */
    replacementsPerFrame: z.number().int().min(1).max(65536).default(4096),
  })
  .strict();

export type NetOptionsInput = z.input<typeof netOptionsSchema>;
export type NetOptions = Readonly<z.output<typeof netOptionsSchema>>;

export function resolveNetOptions(input: NetOptionsInput = {}): NetOptions {
  return Object.freeze({ ...parseOptions(netOptionsSchema, input, 'net') });
}
