/**
 * SigV4 for KMS requests: the same verifier as S3 (src/auth/verify-request.ts) with the
 * credential scope's service `kms`, and its S3 errors answered as AWS KMS answers them
 * (IncompleteSignatureException, InvalidSignatureException, UnrecognizedClientException,
 * MissingAuthenticationTokenException — all 400). KMS clients send no x-amz-content-sha256:
 * the body, already read, is hashed here.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { ALGORITHM } from '../../auth/constants.js';
import { formatAmzDate } from '../../auth/credential.js';
import { headerString } from '../../auth/canonical-headers.js';
import { claimedAccessKeyId, verifyRequest } from '../../auth/verify-request.js';
import { parseAuthorization } from '../../auth/verify-header.js';
import { S3Error } from '../../errors/s3-error.js';
import type { UserRecord } from '../../store/meta/types.js';
import { KmsError } from '../types.js';

export const KMS_SERVICE = 'kms';
const SKEW_MS = 15 * 60 * 1000;

export interface KmsAuthInput {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface KmsAuthOptions {
  readonly lookup: (accessKeyId: string) => Promise<UserRecord | undefined>;
  readonly now: () => Date;
}

const incomplete = (message: string): KmsError => new KmsError('IncompleteSignatureException', message);
const invalidSignature = (message: string): KmsError => new KmsError('InvalidSignatureException', message);
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The signer of a KMS request, or a KmsError saying why it is not signed right. */
export async function authenticateKms(input: KmsAuthInput, opts: KmsAuthOptions): Promise<UserRecord> {
  const authorization = headerString(input.headers, 'authorization')?.trim() ?? '';
  const presigned = /(^|&)X-Amz-Signature=/.test(input.rawQuery);
  if (authorization === '' && !presigned) throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (authorization !== '' && authorization.startsWith(`${ALGORITHM} `)) checkScope(authorization);

  // The signer is looked up (awaited) before the synchronous verification, which asks for its secret.
  const claimed = claimedAccessKeyId({ headers: input.headers, rawQuery: input.rawQuery });
  const signer = claimed === undefined ? undefined : await opts.lookup(claimed);
  try {
    const verified = verifyRequest(
      { method: input.method, rawPath: input.rawPath, rawQuery: input.rawQuery, headers: input.headers, rawHeaders: input.rawHeaders },
      Readable.from([input.body]),
      {
        lookup: (ak) => (ak === claimed ? signer?.secretAccessKey : undefined),
        now: opts.now,
        services: [KMS_SERVICE],
        payloadSha256: createHash('sha256').update(input.body).digest('hex'),
      },
    );
    // A client that did send x-amz-content-sha256 signed that value: the body must match it.
    for await (const _chunk of verified.payload.body) {
      // the verifier checks the hash as the body flows
    }
    if (verified.accessKeyId === undefined || signer === undefined) throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    return signer;
  } catch (err) {
    if (err instanceof S3Error) throw fromS3Error(err, input.headers, opts.now());
    throw err;
  }
}

/**
 * AWS checks the scope before the signature: another service is InvalidSignatureException.
 * Any region is accepted, as for S3 (README: compatibility notes): key ARNs name the server's.
 */
function checkScope(authorization: string): void {
  let credential: string;
  try {
    credential = parseAuthorization(authorization).credential;
  } catch (err) {
    if (err instanceof S3Error) throw incomplete(err.message);
    throw err;
  }
  const service = credential.split('/')[3];
  if (service !== undefined && service !== KMS_SERVICE) throw invalidSignature(`Credential should be scoped to correct service: '${KMS_SERVICE}'. `);
}

function fromS3Error(err: S3Error, headers: IncomingHttpHeaders, now: Date): KmsError {
  switch (err.code) {
    case 'SignatureDoesNotMatch':
    case 'XAmzContentSHA256Mismatch':
      return invalidSignature(SIGNATURE_MISMATCH);
    case 'InvalidAccessKeyId':
      return new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    case 'RequestTimeTooSkewed':
      return invalidSignature(skewMessage(headerString(headers, 'x-amz-date') ?? String(err.fields['RequestTime'] ?? ''), now));
    default:
      return incomplete(err.message);
  }
}

/** AWS's wording for a request outside the 15-minute window. */
function skewMessage(requestTime: string, now: Date): string {
  const early = formatAmzDate(new Date(now.getTime() - SKEW_MS));
  const late = formatAmzDate(new Date(now.getTime() + SKEW_MS));
  const t = formatAmzDate(now);
  return requestTime < early
    ? `Signature expired: ${requestTime} is now earlier than ${early} (${t} - 15 min.)`
    : `Signature not yet current: ${requestTime} is still later than ${late} (${t} + 15 min.)`;
}
