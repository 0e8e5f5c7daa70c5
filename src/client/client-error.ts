/**
 * Errors of the S3 client commands (`strongbox cp / ls / verify / rotate`). Messages name the
 * object or file at fault and never hold key material; S3 errors keep Amazon's code and status.
 */
export type ClientErrorCode =
  /** An argument that is not a usable `s3://bucket/key` URL or local path, or a bad option value. */
  | 'STRONGBOX_CLIENT_USAGE'
  /** An S3 request failed (the message carries the S3 code and HTTP status). */
  | 'STRONGBOX_CLIENT_S3'
  /** A transfer's result does not match: size or checksum differ after upload or download. */
  | 'STRONGBOX_CLIENT_VERIFY'
  /** A rotation journal that belongs to another rotation, or cannot be read. */
  | 'STRONGBOX_CLIENT_JOURNAL';

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** The HTTP status of the S3 answer behind a STRONGBOX_CLIENT_S3 error, if the server answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export const usageError = (message: string): ClientError => new ClientError('STRONGBOX_CLIENT_USAGE', message);

/** The HTTP status of a failed SDK call, if the server answered. */
export function httpStatusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** "NoSuchKey (404)": the S3 code and status of a failed SDK call, or its message. */
export function describeS3Error(err: unknown): string {
  const status = httpStatusOf(err);
  const e = err as { name?: string; Code?: string; message?: string };
  const code = e.Code ?? e.name ?? 'Error';
  if (status === undefined) return e.message ?? String(err);
  // HEAD answers have no body, so the SDK can only name the status ("BadRequest", "403").
  return `${code} (${status})`;
}

/** Wraps an SDK failure with the object it concerns. */
export const s3Error = (what: string, err: unknown): ClientError =>
  new ClientError('STRONGBOX_CLIENT_S3', `${what}: ${describeS3Error(err)}`, httpStatusOf(err));

/** The HTTP status of a failed SDK call, or of the S3 answer a ClientError wraps. */
export const statusOf = (err: unknown): number | undefined => (err instanceof ClientError ? err.status : httpStatusOf(err));
