import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Stores } from './context.js';
import type { RootKeyring } from '../crypto/root-key.js';
import type { KeyManagementService } from '../kms/types.js';
import { handleRequest, type ServerDeps } from './handle-request.js';
import { ClientSlots, RequestsInFlight } from './client-slots.js';
import { isTrustedProxy } from './secure-transport.js';
import { normalizeIp } from '../policy/conditions.js';
import { renderError } from './error-response.js';
import { requestTimeout } from '../errors/s3-error.js';

export interface TlsFiles {
  readonly key: string;
  readonly cert: string;
}

export interface RunningServer {
  readonly server: http.Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The keys the server encrypts with: the root key (SSE-S3) and the KMS (SSE-KMS, DSSE-KMS). */
export interface ServerKeys {
  readonly rootKey: RootKeyring;
  readonly kms: KeyManagementService;
}

/**
 * Starts the S3 listener. HTTP/1.1 only; TCP_NODELAY on (Nagle costs small GETs 40 ms);
 * keep-alive longer than typical client pools so connections are reused. The limits of
 * `config.connections` (issue 14; docs/errors.md, resource limits) bound what one client can
 * hold: headers and the TLS handshake must arrive in time, a body must keep arriving
 * (request-body.ts), and each client address gets a number of connections (client-slots.ts).
 * A whole upload may take as long as it takes (no requestTimeout) as long as it keeps moving.
 */
export async function startServer(
  config: Config,
  stores: Stores,
  keys: ServerKeys,
  log: Logger,
  tls: TlsFiles | undefined,
  now: () => Date = () => new Date(),
): Promise<RunningServer> {
  const limits = config.connections;
  const slots = new ClientSlots(limits.maxConnectionsPerClient);
  const inFlight = new RequestsInFlight(limits.maxRequestsInFlight);
  const deps: ServerDeps = { config, stores, rootKey: keys.rootKey, kms: keys.kms, log, now, ready: false, slots, inFlight };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handleRequest(deps, req, res).catch((err: unknown) => {
      log.error({ err }, 'unhandled error in request pipeline');
      res.destroy();
    });
  };
  const options: http.ServerOptions = {
    noDelay: true,
    keepAlive: true,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0, // large uploads take as long as they take; the body idle timeout bounds a stall
    // Node checks the headers timeout on this interval: a quarter of it keeps the slack small.
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
    maxHeaderSize: 64 * 1024,
  };
  const server = tls
    ? https.createServer({ ...options, key: tls.key, cert: tls.cert, handshakeTimeout: limits.headersTimeoutMs }, listener)
    : http.createServer(options, listener);
  server.maxRequestsPerSocket = limits.maxRequestsPerConnection;
  if (tls) server.on('secureConnection', readThroughStream);
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress;
    slots.onConnection(socket, peer !== undefined && isTrustedProxy(config, normalizeIp(peer)));
  });
  // Node answers 417 to an Expect other than 100-continue by itself; Amazon ignores it.
  server.on('checkExpectation', listener);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    log.debug({ err }, 'client error');
    if (!socket.writable) socket.destroy();
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end(headersTimeoutAnswer());
    else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  deps.ready = true;
  return {
    server,
    port,
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Makes Node's HTTP parser read a TLS connection through the socket's stream instead of
 * straight from the TLS handle. Node pauses the parser when a request arrives while the
 * response before it is still being written; reading from the handle, Node 20 goes on handing
 * the paused parser the rest of the bytes already decrypted, which it refuses as HPE_PAUSED: a
 * 400 and a dropped connection for a PUT whose body follows its head on a busy keep-alive
 * connection (test/integration/pipelining.test.ts). A stream buffers what arrives while paused.
 * Node stops reading from the handle when the socket gets a `data` listener (registered after
 * the server's own connection listener, which has set the parser up).
 */
function readThroughStream(socket: TLSSocket): void {
  socket.on('data', ignoreData);
}

/** The HTTP server's own `data` listener parses; this one only switches the path. */
function ignoreData(): void {}

/** Headers that did not arrive within the headers timeout: Amazon's RequestTimeout, then close. */
function headersTimeoutAnswer(): string {
  const body = renderError(requestTimeout(), '', '', '/');
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
