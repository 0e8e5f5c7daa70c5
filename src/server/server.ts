import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Stores } from './context.js';
import type { RootKeyring } from '../crypto/root-key.js';
import type { KeyManagementService } from '../kms/types.js';
import { handleRequest, type ServerDeps } from './handle-request.js';

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

/**
 * Starts the S3 listener. HTTP/1.1 only; TCP_NODELAY on (Nagle costs small GETs 40 ms);
 * keep-alive longer than typical client pools so connections are reused.
 */
/** The keys the server encrypts with: the root key (SSE-S3) and the KMS (SSE-KMS, DSSE-KMS). */
export interface ServerKeys {
  readonly rootKey: RootKeyring;
  readonly kms: KeyManagementService;
}

export async function startServer(
  config: Config,
  stores: Stores,
  keys: ServerKeys,
  log: Logger,
  tls: TlsFiles | undefined,
  now: () => Date = () => new Date(),
): Promise<RunningServer> {
  const deps: ServerDeps = { config, stores, rootKey: keys.rootKey, kms: keys.kms, log, now, ready: false };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handleRequest(deps, req, res).catch((err: unknown) => {
      log.error({ err }, 'unhandled error in request pipeline');
      res.destroy();
    });
  };
  const options: http.ServerOptions = {
    noDelay: true,
    keepAlive: true,
    keepAliveTimeout: 65_000,
    headersTimeout: 60_000,
    requestTimeout: 0, // large uploads take as long as they take
    maxHeaderSize: 64 * 1024,
  };
  const server = tls
    ? https.createServer({ ...options, key: tls.key, cert: tls.cert }, listener)
    : http.createServer(options, listener);
  // Node answers 417 to an Expect other than 100-continue by itself; Amazon ignores it.
  server.on('checkExpectation', listener);
  server.on('clientError', (err, socket) => {
    log.debug({ err }, 'client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
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
