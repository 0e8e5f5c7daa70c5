import { S3Error, accessDenied, insufficientStorage, internalError, kmsFailure } from '../errors/s3-error.js';
import { renderXml, type XmlNode } from './xml.js';
import { BlobStoreError } from '../store/blob/types.js';
import { MetaStoreError } from '../store/meta/types.js';
import { StorageFullError } from '../store/free-space.js';
import { KmsError } from '../kms/types.js';

/**
 * Maps any thrown value to the S3Error the client sees. Layer errors with stable codes
 * are translated here and only here; anything unknown becomes InternalError, and its
 * cause goes to the log, never to the client.
 */
export function toS3Error(err: unknown): { error: S3Error; internal: boolean } {
  // NotImplemented and SlowDown (a client over its connection cap) are answers, not failures.
  if (err instanceof S3Error) return { error: err, internal: err.status >= 500 && err.code !== 'NotImplemented' && err.code !== 'SlowDown' };
  if (err instanceof KmsError) return fromKmsError(err);
  // An operating condition, not a fault: logged per request as a 507, without a stack.
  if (err instanceof StorageFullError) return { error: insufficientStorage(), internal: false };
  if (err instanceof BlobStoreError || err instanceof MetaStoreError) {
    return { error: internalError(), internal: true };
  }
  return { error: internalError(), internal: true };
}

/** The <Error> document (no namespace, as Amazon sends it). */
export function renderError(error: S3Error, reqId: string, hostId: string, resource?: string): string {
  const body: Record<string, XmlNode[string]> = { Code: error.code, Message: error.message };
  for (const [name, value] of Object.entries(error.fields)) {
    if (value !== undefined) body[name] = String(value);
  }
  if (resource !== undefined && !('Resource' in body)) body.Resource = resource;
  body.RequestId = reqId;
  body.HostId = hostId;
  return renderXml('Error', body, null);
}

/**
 * A KMS error met by SSE-KMS, as Amazon S3 answers it (../shared/spec/aws-sse.md §5.3): a key
 * the requester may not use is 403 AccessDenied with the KMS's message (`User: … is not
 * authorized to perform: kms:Decrypt on resource: …`); the rest pass through as 400
 * `KMS.<exception>`.
 */
function fromKmsError(err: KmsError): { error: S3Error; internal: boolean } {
  if (err.type === 'AccessDeniedException') return { error: accessDenied(err.message), internal: false };
  return { error: kmsFailure(err.type, err.message, err.status), internal: err.status >= 500 };
}
