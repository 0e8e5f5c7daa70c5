/**
 * S3 and KMS errors as sentences for people; the code, status and request id stay available
 * (ErrorMessage shows them on demand). Never the raw XML or JSON of an error document.
 */
export interface Explained {
  readonly sentence: string;
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
}

const SENTENCES: Readonly<Record<string, string>> = {
  SignatureDoesNotMatch: 'The secret key does not match the access key. Check the secret and try again.',
  InvalidAccessKeyId: 'No user has this access key. Check the access key ID and try again.',
  IncompleteSignature: 'The request was not signed completely. Sign in again.',
  RequestTimeTooSkewed: "This computer's clock differs too much from the server's. Correct the clock and try again.",
  AccessDenied: 'You are not allowed to do this with these credentials.',
  AccessDeniedException: 'You are not allowed to do this with these credentials.',
  BucketAlreadyExists: 'A bucket with this name already exists. Bucket names are unique on the server: choose another.',
  BucketAlreadyOwnedByYou: 'You already have a bucket with this name.',
  BucketNotEmpty: 'The bucket is not empty. Delete its objects (and any unfinished uploads) first, then delete the bucket.',
  InvalidBucketName:
    'This is not a valid bucket name. Use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.',
  NoSuchBucket: 'The bucket does not exist (it may have just been deleted).',
  TooManyBuckets: 'You have reached the limit on the number of buckets.',
  MalformedXML: 'The server did not accept the encryption configuration.',
  NotFoundException: 'The KMS key was not found.',
  KMSInvalidStateException: 'The KMS key cannot be used in its present state (it may be disabled or pending deletion).',
  DisabledException: 'The KMS key is disabled.',
  KMSInternalException: 'The KMS failed to do this. The server log has the details.',
  ValidationException: 'The KMS refused one of the values given.',
  AlreadyExistsException: 'An alias with this name already exists. Alias names are unique on the server: choose another.',
  InvalidAliasNameException: 'This is not a valid alias name. Use alias/ followed by letters, digits, slashes, underscores and hyphens.',
  LimitExceededException: 'A limit of the KMS has been reached (on keys, aliases or on-demand rotations).',
  NotAuthorizedException: 'Keys and aliases managed by AWS (alias/aws/…) cannot be changed.',
  InvalidMarkerException: 'The list changed while it was being read. Reload the page.',
  InvalidArnException: 'This is not a valid key ARN.',
  SerializationException: 'The KMS could not read the request.',
  UnsupportedOperationException: 'The built-in KMS does not support this.',
  InvalidArgument: 'The server refused one of the values given.',
  ServiceUnavailable: 'The server is busy or starting. Try again in a moment.',
  SlowDown: 'The server is busy. Try again in a moment.',
  InternalError: 'The server failed to do this. Its log has the details.',
};

interface SdkError {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $response?: { readonly statusCode?: number };
}

/** A sentence of the console's own, with the S3 code and status behind it when there are some. */
export const sentence = (text: string, code?: string, status?: number): Explained => ({ sentence: text, code, status, requestId: undefined });

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function explain(err: unknown): Explained {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkError;
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const requestId = e.$metadata?.requestId;
  // A bodiless error (a HEAD's) gets the SDK's name "Unknown" or the status text: no code at all.
  const named = status === undefined || e.name === 'Unknown' ? undefined : text(e.name);
  const code = text(e.Code) ?? named;
  if (code !== undefined) {
    const known = SENTENCES[code];
    if (known !== undefined) return { sentence: known, code, status, requestId };
    return { sentence: fallbackSentence(status), code, status, requestId };
  }
  if (e.name === 'NotReadableError' || e.name === 'NotFoundError') {
    const sentence = 'The file could not be read: it may have been changed, moved or deleted since it was chosen. Choose it again.';
    return { sentence, code: text(e.name), status, requestId };
  }
  if (err instanceof TypeError || e.name === 'TimeoutError') {
    return { sentence: 'The server could not be reached. Check that it is running and try again.', code: undefined, status, requestId };
  }
  return { sentence: fallbackSentence(status), code: text(e.name), status, requestId };
}

function fallbackSentence(status: number | undefined): string {
  if (status === undefined) return 'Something went wrong.';
  if (status === 403) return 'You are not allowed to do this with these credentials.';
  if (status === 404) return 'What you asked for was not found.';
  if (status >= 500) return 'The server failed to do this. Its log has the details.';
  return 'The server refused the request.';
}
