/**
 * WebSocket close codes zonelb sends (or that uWebSockets.js sends on its behalf). Gateways
 * and game servers match on the number; the close reason repeats the ZLB_ERR_* code.
 */
export const CloseCode = {
  /** Closed on purpose by either side. */
  Normal: 1000,
  /** zonelb is shutting down; reconnect to another node or retry. */
  GoingAway: 1001,
  /** A frame was larger than maxPayloadLength (sent by uWebSockets.js itself). */
  MessageTooBig: 1009,
  /** The peer stopped reading: its unsent data passed the backpressure limit (ZLB_ERR_SLOW_CONSUMER). */
  SlowConsumer: 4008,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
