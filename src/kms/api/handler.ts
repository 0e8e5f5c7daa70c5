/**
 * The AWS KMS JSON endpoint, served on the S3 listener: `POST /` with
 * `X-Amz-Target: TrentService.<Operation>` and an application/x-amz-json-1.1 body, as
 * `aws kms --endpoint-url` and @aws-sdk/client-kms send it. The request pipeline hands such
 * requests here before S3 routing; every answer, errors included, is KMS JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import type { MetaStore } from '../../store/meta/types.js';
import { KmsError, type JsonObject, type KeyManagementService } from '../types.js';
import { authenticateKms } from './authenticate.js';
import { internal, serialization, writeKmsError, writeKmsResult } from './errors.js';

export const KMS_TARGET_PREFIX = 'TrentService.';
/** KMS bodies are small (4 KiB plaintexts, 6 KiB ciphertexts, contexts): refuse huge ones unread. */
const MAX_BODY_BYTES = 1024 * 1024;

/** True for a request addressed to the KMS API rather than to S3. */
export function isKmsRequest(method: string, rawPath: string, headers: IncomingMessage['headers']): boolean {
  const target = headers['x-amz-target'];
  return method === 'POST' && rawPath === '/' && typeof target === 'string' && target.startsWith(KMS_TARGET_PREFIX);
}

export interface KmsRequestDeps {
  readonly kms: KeyManagementService;
  readonly meta: MetaStore;
  readonly now: () => Date;
  readonly log: () => Logger;
}

export interface KmsRequestInfo {
  readonly reqId: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly rawHeaders: readonly string[];
}

/** Answers one KMS request; never throws (failures become KMS JSON errors). */
export async function handleKmsRequest(deps: KmsRequestDeps, req: IncomingMessage, res: ServerResponse, info: KmsRequestInfo): Promise<void> {
  const operation = String(req.headers['x-amz-target']).slice(KMS_TARGET_PREFIX.length);
  try {
    const body = await readBody(req);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      throw new KmsError('ValidationException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`, 413);
    }
    const user = await authenticateKms(
      { method: 'POST', rawPath: info.rawPath, rawQuery: info.rawQuery, headers: req.headers, rawHeaders: info.rawHeaders, body },
      { lookup: (ak) => deps.meta.getUserByAccessKey(ak), now: deps.now },
    );
    const api = deps.kms.api;
    if (api === undefined) throw new KmsError('UnsupportedOperationException', 'This server uses an external KMS: manage its keys there.');
    const result = await api(operation, parseJson(body), { user: { name: user.name, isRoot: user.isRoot } });
    writeKmsResult(res, result, info.reqId);
    if (deps.log().isLevelEnabled('info')) deps.log().info({ op: `kms:${operation}`, status: 200 }, 'request');
  } catch (err) {
    const error = err instanceof KmsError ? err : internal();
    if (!(err instanceof KmsError) || err.status >= 500) deps.log().error({ err, op: `kms:${operation}` }, 'KMS internal error');
    else if (deps.log().isLevelEnabled('info')) deps.log().info({ op: `kms:${operation}`, code: error.type, status: error.status }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    writeKmsError(res, error, info.reqId);
  }
}

/** The whole body, or undefined once it passes MAX_BODY_BYTES (the rest is left unread). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  // Not `for await`: leaving that loop early would destroy the socket before the answer.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

function parseJson(body: Buffer): JsonObject {
  // Operations without input (ListKeys) may come with an empty body.
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw serialization();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw serialization();
  return parsed as JsonObject;
}
