/**
 * The transport's own ceiling, for bench/ws.ts and bench/http.ts: a bare uWebSockets.js app
 * (native addon, checked the same way as zonelb's) that
 *   - on WebSocket /echo sends every binary message straight back;
 *   - on POST /raw reads the body and answers a fixed JSON body of a placement's size.
 * Run as a child process (bench/ws-procs.ts: compiled, or under tsx when the benchmark is run
 * from source) with an optional port; prints {"port": N} once listening.
 */
import { loadUws } from '../src/net/uws.ts';

const uws = loadUws();
const BODY = JSON.stringify({ player: 1, status: 'Ok', statusCode: 0, server: 65536, serverId: 'gs-001', position: 0 });
const app = uws.App();

app.ws('/echo', {
  compression: uws.DISABLED,
  maxPayloadLength: 64 << 20,
  maxBackpressure: 64 << 20,
  idleTimeout: 0,
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary, false);
  },
});

app.post('/raw', (res) => {
  res.onAborted(() => undefined);
  res.onData((_chunk, isLast) => {
    if (isLast) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(BODY));
  });
});

app.listen('127.0.0.1', Number(process.argv[2] ?? 0), (socket) => {
  if (socket === false) {
    console.error('echo-server: cannot listen');
    process.exit(1);
  }
  console.log(JSON.stringify({ port: uws.us_socket_local_port(socket as never) }));
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
