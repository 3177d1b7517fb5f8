/**
 * zonelb wire codec: the public entry point of src/wire.
 *
 * Frames are FlatBuffers (schema/zonelb.fbs, bindings in ./generated). Hot paths:
 *   - balancer: `decodeGatewayBatch` into a `RequestBuffer`, `ResultEncoder.encode` back;
 *   - gateway / load generator: `GatewayBatchEncoder.encode`, `decodeResultBatch` into a `ResultBuffer`.
 * Everything decoded from the network is validated; failures are `WireError`s with stable codes.
 */
export { WireError, WireErrorCode, isWireError } from './errors.ts';
export {
  FILE_IDENTIFIER,
  MessageType,
  messageTypeName,
  ReportKind,
  REQUEST_SIZE,
  RESULT_SIZE,
  REPLACEMENT_SIZE,
  WIRE_NO_SERVER,
  RequestBuffer,
  ResultBuffer,
  decodeEnvelope,
  decodeGatewayBatch,
  decodeResultBatch,
  decodeReplacementBatch,
  decodeServerReport,
  decodeServerAck,
  decodeErrorReply,
} from './decode.ts';
export type { ReplacementEvents, ServerReportMessage, ServerAckMessage, ErrorReplyMessage } from './decode.ts';
export {
  ResultEncoder,
  GatewayBatchEncoder,
  encodeGatewayBatch,
  encodeReplacementBatch,
  encodeServerReport,
  encodeServerAck,
  encodeErrorReply,
  encodeWireError,
} from './encode.ts';
export type { ReplacementEventsLike, ServerReportInput } from './encode.ts';
