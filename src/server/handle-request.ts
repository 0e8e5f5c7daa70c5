import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { claimedAccessKeyId, verifyRequest } from '../auth/verify-request.js';
import { route, virtualHostedBucket } from './router.js';
import { ANONYMOUS_USER, authorize } from './authorize.js';
import { requesterOf } from './requester.js';
import { isTrustedProxy, sourceIp } from './secure-transport.js';
import { normalizeIp } from '../policy/conditions.js';
import type { ClientSlots, RequestsInFlight } from './client-slots.js';
import { requestBody } from './request-body.js';
import { HANDLERS } from '../s3/index.js';
import type { RequestContext, S3Response, Stores } from './context.js';
import type { UserRecord } from '../store/meta/types.js';
import type { RootKeyring } from '../crypto/root-key.js';
import type { KeyManagementService } from '../kms/types.js';
import type { S3Error} from '../errors/s3-error.js';
import { keyTooLong, methodNotAllowed, noSuchBucket, notImplemented, slowDown } from '../errors/s3-error.js';
import { renderError, toS3Error } from './error-response.js';
import { DataCorruptionError } from '../crypto/package-cipher.js';
import { drainBody } from './drain-body.js';
import { handleKmsRequest, isKmsRequest } from '../kms/api/handler.js';
import { isConsoleRequest, serveConsole } from '../console/serve-console.js';

export interface ServerDeps {
  readonly config: Config;
  readonly stores: Stores;
  readonly rootKey: RootKeyring;
  readonly kms: KeyManagementService;
  readonly log: Logger;
  readonly now: () => Date;
  /** False until start-up (credentials …) is done; health answers 503 until then. */
  ready: boolean;
  /** The per-client connection cap (issue 14); none when absent. */
  readonly slots?: ClientSlots | undefined;
  /** The cap on requests in flight in this process (issue 14). */
  readonly inFlight?: RequestsInFlight | undefined;
}

export const HEALTH_PATH = '/_strongbox/health';

/** Request ids: a random per-process prefix and a counter (unique, and cheap per request). */
const ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestCounter = 0;
const nextRequestId = () => ID_PREFIX + (++requestCounter).toString(16).toUpperCase().padStart(8, '0');
/** x-amz-id-2 identifies the answering host, as on Amazon. */
const HOST_ID = randomBytes(24).toString('base64');
const MAX_KEY_BYTES = 1024;

/**
 * The request pipeline, in a fixed order: request id and logger, route, authenticate,
 * resolve the bucket, authorize, handler, response. Every error goes to one writer.
 */
export async function handleRequest(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const reqId = nextRequestId();
  const hostId = HOST_ID;
  res.setHeader('x-amz-request-id', reqId);
  res.setHeader('x-amz-id-2', hostId);
  res.setHeader('Server', 'Strongbox');
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  // A child logger costs a little on every request: made only when something is logged.
  let bindings: Record<string, unknown> = { reqId };
  let child: Logger | undefined;
  const log = (): Logger => (child ??= deps.log.child(bindings));
  let resource = safeDecode(rawPath);

  try {
    admit(deps, req, res);
    if (rawPath === HEALTH_PATH && (method === 'GET' || method === 'HEAD') && virtualHostedBucket(req.headers.host, deps.config.domain) === undefined) {
      await send(res, method, { status: deps.ready ? 200 : 503, headers: { 'content-type': 'text/plain' }, body: deps.ready ? 'ok\n' : 'starting\n' });
      return;
    }
    // The web console's static files: public, unauthenticated; its data calls are signed S3/KMS requests.
    if (isConsoleRequest(rawPath, req.headers.host, deps.config.domain)) {
      await serveConsole(method, rawPath, res);
      return;
    }
    decodeUtf8Headers(req.headers);
    const rawHeaders = req.rawHeaders.map(utf8HeaderValue);
    // The KMS JSON API shares the endpoint (POST / with X-Amz-Target: TrentService.*) and answers in KMS JSON.
    if (isKmsRequest(method, rawPath, req.headers)) {
      const kmsDeps = { kms: deps.kms, meta: deps.stores.meta, now: deps.now, log };
      await handleKmsRequest(kmsDeps, req, res, { reqId, rawPath, rawQuery, rawHeaders });
      return;
    }
    const query = new URLSearchParams(rawQuery);
    const match = route({ method, path: rawPath, host: req.headers.host, query, headers: req.headers, domain: deps.config.domain });
    if (!('access' in match)) {
      throw methodNotAllowed(method, match.target === 'object' ? 'OBJECT' : match.target === 'bucket' ? 'BUCKET' : 'SERVICE');
    }
    const { op, bucket: bucketName, key } = match;
    resource = bucketName === undefined ? '/' : key === undefined ? `/${bucketName}` : `/${bucketName}/${key}`;
    bindings = { reqId, op, bucket: bucketName };

    // The signer is looked up (awaited) before the synchronous verification, which asks for its secret.
    const claimed = claimedAccessKeyId({ headers: req.headers, rawQuery });
    const signer: UserRecord | undefined = claimed === undefined ? undefined : await deps.stores.meta.getUserByAccessKey(claimed);
    const body = requestBody(req, res, deps.config.connections.bodyIdleTimeoutMs);
    const verified = verifyRequest({ method, rawPath, rawQuery, headers: req.headers, rawHeaders }, body, {
      lookup: (ak: string) => (ak === claimed ? signer?.secretAccessKey : undefined),
      now: deps.now,
    });
    if (key !== undefined && Buffer.byteLength(key) > MAX_KEY_BYTES) throw keyTooLong(Buffer.byteLength(key));
    const bucket = bucketName === undefined ? undefined : await deps.stores.meta.getBucket(bucketName);
    if (bucketName !== undefined && bucket === undefined && op !== 'CreateBucket') throw noSuchBucket(bucketName);
    // A request without credentials is anonymous: only a bucket policy can let it in.
    const requester = requesterOf(deps.config, req, verified.accessKeyId === undefined ? undefined : signer, query, deps.now);
    authorize(requester, match.access, match.action, bucket, key);

    const handler = HANDLERS[op];
    if (handler === undefined) throw notImplemented();
    const ctx: RequestContext = {
      reqId,
      get log() {
        return log();
      },
      config: deps.config,
      stores: deps.stores,
      rootKey: deps.rootKey,
      kms: deps.kms,
      op,
      method,
      bucketName,
      key,
      bucket,
      query,
      headers: req.headers,
      user: requester.user ?? ANONYMOUS_USER,
      requester,
      payload: verified.payload,
      secure: requester.secure,
      now: deps.now,
    };
    const response = await handler(ctx);
    await send(res, method, response);
    if (deps.log.isLevelEnabled('info')) log().info({ status: response.status }, 'request');
  } catch (err) {
    const { error, internal } = toS3Error(err);
    if (err instanceof DataCorruptionError) log().error({ err, method, path: rawPath }, 'data corruption: stored bytes failed authentication and were not served');
    else if (internal) log().error({ err, method, path: rawPath }, 'internal error');
    else if (deps.log.isLevelEnabled('info')) log().info({ code: error.code, status: error.status }, 'request failed');
    if (res.headersSent) {
      // Too late for an error document: cut the connection so the client sees a failure,
      // never a short body that looks complete.
      res.destroy(error);
      return;
    }
    drainBody(req, res);
    sendError(res, method, error, reqId, hostId, resource);
  }
}

/**
 * The caps of src/server/client-slots.ts: a request beyond the process's requests in flight, or
 * from a client over its own cap, gets 503 SlowDown. A direct client's surplus connection is
 * closed after the answer; a proxy's connection is shared by other clients and stays open.
 */
function admit(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): void {
  if (deps.inFlight !== undefined && !deps.inFlight.enter(res)) throw slowDown();
  if (deps.slots === undefined) return;
  const peer = req.socket.remoteAddress;
  const viaProxy = peer !== undefined && isTrustedProxy(deps.config, normalizeIp(peer));
  if (deps.slots.admit(req, res, sourceIp(deps.config, req), viaProxy)) return;
  if (!viaProxy) res.setHeader('connection', 'close');
  throw slowDown();
}

/**
 * Node decodes header bytes as Latin-1; clients send UTF-8 (boto3 does for non-ASCII
 * metadata) and sign the UTF-8 text. Re-decode values whose bytes are valid UTF-8 so that
 * signatures and stored metadata see the characters the client meant.
 */
function decodeUtf8Headers(headers: IncomingMessage['headers']): void {
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') headers[name] = utf8HeaderValue(value);
  }
}

function utf8HeaderValue(value: string): string {
  if (!/[\x80-\xff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/** Header values beyond Latin-1 go out as their UTF-8 bytes (Node refuses them otherwise). */
const headerValue = (v: string | number): string | number =>
  typeof v === 'string' && /[^\x00-\xff]/.test(v) ? Buffer.from(v, 'utf8').toString('latin1') : v;

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function sendError(res: ServerResponse, method: string, error: S3Error, reqId: string, hostId: string, resource: string): void {
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (method === 'HEAD') {
    res.end();
    return;
  }
  const body = renderError(error, reqId, hostId, resource);
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Writes a handler's response; streams bodies with backpressure. */
async function send(res: ServerResponse, method: string, response: S3Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    if (value !== undefined) res.setHeader(name, headerValue(value));
  }
  const body = response.body;
  if (body === undefined || method === 'HEAD') {
    if (body instanceof Readable) body.destroy();
    if (body === undefined && method !== 'HEAD' && !res.hasHeader('content-length')) res.setHeader('content-length', 0);
    res.end();
    return;
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/xml');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  await pipeline(body, res);
}
