/**
 * Errors of the AWS KMS JSON protocol: `{"__type": "<Exception>", "message": "…"}` with the
 * status AWS uses (400 for all client errors, 500 for KMSInternalException). S3's XML errors
 * never appear on this endpoint.
 */
import type { ServerResponse } from 'node:http';
import { KmsError } from '../types.js';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** `1 validation error detected: …`, the message of AWS's model-level checks. */
export const validation = (detail: string): KmsError => new KmsError('ValidationException', `1 validation error detected: ${detail}`);

export const mustNotBeNull = (field: string): KmsError =>
  validation(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);

export const lengthAtLeast = (field: string, value: string | undefined, min: number): KmsError =>
  validation(`Value ${value === undefined ? '' : `'${value}' `}at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);

export const lengthAtMost = (field: string, value: string | undefined, max: number): KmsError =>
  validation(`Value ${value === undefined ? '' : `'${value}' `}at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);

export const valueAtLeast = (field: string, value: number, min: number): KmsError =>
  validation(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);

export const valueAtMost = (field: string, value: number, max: number): KmsError =>
  validation(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);

export const notInEnum = (field: string, value: string, allowed: readonly string[]): KmsError =>
  validation(`Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);

/** A body that is not the JSON the operation takes (wrong types, bad base64). */
export const serialization = (message = 'Start of structure or map found where not expected.'): KmsError =>
  new KmsError('SerializationException', message);

export const unsupported = (message: string): KmsError => new KmsError('UnsupportedOperationException', message);

export const internal = (): KmsError => new KmsError('KMSInternalException', 'An internal error occurred.', 500);

/** Writes a KMS error as AWS does; the request id goes in x-amzn-RequestId. */
export function writeKmsError(res: ServerResponse, err: KmsError, reqId: string): void {
  const body = JSON.stringify({ __type: err.type, message: err.message });
  res.statusCode = err.status;
  res.setHeader('x-amzn-requestid', reqId);
  res.setHeader('content-type', JSON_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Writes a successful answer: a JSON object, or an empty body for operations without output. */
export function writeKmsResult(res: ServerResponse, result: object | undefined, reqId: string): void {
  const body = result === undefined ? '' : JSON.stringify(result);
  res.statusCode = 200;
  res.setHeader('x-amzn-requestid', reqId);
  res.setHeader('content-type', JSON_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

export { KmsError };
