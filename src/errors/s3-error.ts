/**
 * The one error type the pipeline sends to clients, and one factory per S3 code we emit.
 * Message strings follow Amazon's (../shared/spec/aws-sse.md §9.4, §10): SDKs branch on
 * status and Code, conformance suites compare the messages too.
 *
 * It lives in src/errors/, below every layer, and imports nothing from the project, so that
 * auth, checksum, crypto, the KMS and the operations can throw S3 errors without depending on
 * the HTTP folder (docs/adr/0008-layers-and-imports.md).
 */
export type ErrorFields = Record<string, string | number | undefined>;

export class S3Error extends Error {
  override readonly name = 'S3Error';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra child elements of <Error> (BucketName, Key, ArgumentName, …), in order. */
    readonly fields: ErrorFields = {},
    /** Extra response headers (for example Allow on 405). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const e = (code: string, status: number, message: string, fields: ErrorFields = {}) =>
  new S3Error(code, status, message, fields);

// ---- authentication -------------------------------------------------------------
export const accessDenied = (message = 'Access Denied', fields: ErrorFields = {}) =>
  e('AccessDenied', 403, message, fields);
export const invalidAccessKeyId = (accessKeyId: string) =>
  e('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', {
    AWSAccessKeyId: accessKeyId,
  });
export const signatureDoesNotMatch = (fields: ErrorFields = {}) =>
  e(
    'SignatureDoesNotMatch',
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    fields,
  );
export const requestTimeTooSkewed = (requestTime: string, serverTime: string) =>
  e('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.', {
    RequestTime: requestTime,
    ServerTime: serverTime,
    MaxAllowedSkewMilliseconds: 900000,
  });
export const authorizationHeaderMalformed = (message: string) =>
  e('AuthorizationHeaderMalformed', 400, message);
export const authorizationQueryParametersError = (message: string) =>
  e('AuthorizationQueryParametersError', 400, message);
export const expiredPresignedRequest = () =>
  e('AccessDenied', 403, 'Request has expired');
export const missingSecurityHeader = (header: string) =>
  e('MissingSecurityHeader', 400, 'Your request was missing a required header', { MissingHeaderName: header });
export const xAmzContentSha256Mismatch = (client: string, computed: string) =>
  e('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", {
    ClientComputedContentSHA256: client,
    S3ComputedContentSHA256: computed,
  });
export const invalidContentSha256 = () =>
  e('InvalidArgument', 400, 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', {
    ArgumentName: 'x-amz-content-sha256',
  });
export const incompleteBody = () =>
  e('IncompleteBody', 400, 'The request body terminated unexpectedly');
export const missingContentLength = () =>
  e('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.');
export const unsupportedTrailer = () =>
  e('InvalidRequest', 400, 'The value specified in the x-amz-trailer header is not supported');

// ---- checksums and digests ------------------------------------------------------
export const invalidDigest = (contentMd5: string) =>
  e('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.', { 'Content-MD5': contentMd5 });
export const badDigestMd5 = (expected: string, calculated: string) =>
  e('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.', {
    ExpectedDigest: expected,
    CalculatedDigest: calculated,
  });
/** `algorithm` as Amazon writes it in this message: upper case on PUT, lower case on Complete. */
export const badDigestChecksum = (algorithm: string) =>
  e('BadDigest', 400, `The ${algorithm} you specified did not match the calculated checksum.`);
export const invalidRequest = (message: string, fields: ErrorFields = {}) =>
  e('InvalidRequest', 400, message, fields);
/** An operation whose body must carry Content-MD5 or a flexible checksum (`requestChecksumRequired`, §9.1). */
export const bodyChecksumRequired = (operation: string) =>
  e('InvalidRequest', 400, `Content-MD5 OR x-amz-checksum- HTTP header is required for ${operation} requests`);

/** DeleteObjects without either (Amazon's answer since the checksum change of 2025). */
export const missingDeleteChecksum = () => e('InvalidRequest', 400, 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');

// ---- request shape ----------------------------------------------------------------
export const invalidArgument = (message: string, name?: string, value?: string) =>
  e('InvalidArgument', 400, message, { ArgumentName: name, ArgumentValue: value });
export const malformedXml = () =>
  e('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
export const maxMessageLengthExceeded = () => e('MaxMessageLengthExceeded', 400, 'Your request was too big.');
export const invalidRange = (size: number, range: string) =>
  e('InvalidRange', 416, 'The requested range is not satisfiable', {
    RangeRequested: range,
    ActualObjectSize: size,
  });
export const keyTooLong = (size: number) =>
  e('KeyTooLongError', 400, 'Your key is too long', { MaxSizeAllowed: 1024, Size: size });
export const metadataTooLarge = (size: number) =>
  e('MetadataTooLarge', 400, 'Your metadata headers exceed the maximum allowed metadata size.', {
    Size: size,
    MaxSizeAllowed: 2048,
  });
export const entityTooSmall = (fields: ErrorFields = {}) =>
  e('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.', fields);
export const entityTooLarge = (size: number, max: number) =>
  e('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
    ProposedSize: size,
    MaxSizeAllowed: max,
  });
export const notImplemented = (what = 'A header you provided implies functionality that is not implemented') =>
  e('NotImplemented', 501, what);
export const methodNotAllowed = (method: string, resourceType: string) =>
  e('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', {
    Method: method,
    ResourceType: resourceType,
  });
export const preconditionFailed = (condition: string) =>
  e('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });
export const invalidBucketName = (bucket: string) =>
  e('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket });
export const invalidStorageClass = (value: string) =>
  e('InvalidStorageClass', 400, 'The storage class you specified is not valid', { StorageClassRequested: value });
export const badRequest = (message: string) => e('BadRequest', 400, message);
export const invalidLocationConstraint = (message = 'The specified location-constraint is not valid') =>
  e('InvalidLocationConstraint', 400, message);
export const illegalLocationConstraint = (region: string, serverRegion: string) =>
  e(
    'IllegalLocationConstraintException',
    400,
    `The ${region} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    { ServerRegion: serverRegion },
  );

export const invalidUri = () => e('InvalidURI', 400, "Couldn't parse the specified URI.");

// ---- resources ----------------------------------------------------------------------
export const noSuchBucket = (bucket: string) =>
  e('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
export const noSuchBucketPolicy = (bucket: string) =>
  e('NoSuchBucketPolicy', 404, 'The bucket policy does not exist', { BucketName: bucket });
/** PutBucketPolicy of a policy that is not valid; `reason` as Amazon words it ("Policy has invalid resource" …). */
export const malformedPolicy = (reason: string) => e('MalformedPolicy', 400, reason);
export const noSuchKey = (key: string) => e('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
export const noSuchUpload = (uploadId: string) =>
  e(
    'NoSuchUpload',
    404,
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );
export const bucketAlreadyOwnedByYou = (bucket: string) =>
  e(
    'BucketAlreadyOwnedByYou',
    409,
    'Your previous request to create the named bucket succeeded and you already own it.',
    { BucketName: bucket },
  );
export const bucketAlreadyExists = (bucket: string) =>
  e(
    'BucketAlreadyExists',
    409,
    'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
    { BucketName: bucket },
  );
export const bucketNotEmpty = (bucket: string) =>
  e('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket });
export const invalidPart = (fields: ErrorFields = {}) =>
  e(
    'InvalidPart',
    400,
    'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.',
    fields,
  );
export const invalidPartOrder = () =>
  e('InvalidPartOrder', 400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
export const invalidCopySource = (message = 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey') =>
  e('InvalidArgument', 400, message, { ArgumentName: 'x-amz-copy-source' });
export const internalError = () =>
  e('InternalError', 500, 'We encountered an internal error. Please try again.');
export const serviceUnavailable = () =>
  e('ServiceUnavailable', 503, 'Please reduce your request rate.');
/**
 * The store's volume is below its free-space floor (`--min-free-space`) or ran out of space
 * mid-write. 507 (RFC 4918), not 503: SDKs retry a 503, and a full disk does not clear by itself.
 */
export const insufficientStorage = () => e('InsufficientStorage', 507, "Strongbox's storage is full");

// ---- connections and request shape of the wire (issue 14) ---------------------------------
/** A request that carried two kinds of authentication, or one of them twice (Amazon's words). */
export const onlyOneAuthMechanism = (name: string, value: string) =>
  invalidArgument(
    'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    name,
    value,
  );
/** The request body stopped arriving for longer than the body idle timeout. */
export const requestTimeout = () =>
  e('RequestTimeout', 400, 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.');
/** Too many connections (or, behind a proxy, requests in flight) from one client address. */
export const slowDown = () => e('SlowDown', 503, 'Please reduce your request rate.');

// ---- added by the checksum module -----------------------------------------------------
/** A trailer announced in x-amz-trailer is missing or does not match (versity/versitygw#1600). */
export const malformedTrailer = () =>
  e(
    'MalformedTrailerError',
    400,
    'The request contained trailing data that was not well-formed or did not conform to our published schema.',
  );

// ---- server-side encryption (../shared/spec/aws-sse.md §2.3–§2.6) -----------------------
const SSE_HEADER = 'x-amz-server-side-encryption';
export const SSE_C_MESSAGES = {
  conflict: 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
  noAlgorithm: 'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.',
  noKey: 'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
  badKey: 'The secret key was invalid for the specified algorithm.',
  badMd5: 'The calculated MD5 hash of the key did not match the hash that was provided.',
  noMd5: 'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.',
} as const;
export const invalidEncryptionAlgorithm = (value: string) =>
  e('InvalidEncryptionAlgorithmError', 400, 'The Encryption request you specified is not valid. Supported value: AES256.', {
    ArgumentName: SSE_HEADER,
    ArgumentValue: value,
  });
export const insecureSseC = () =>
  e('InvalidRequest', 400, 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.');
export const wrongCustomerKey = () =>
  e('AccessDenied', 403, 'Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.');
export const customerKeyMissing = () =>
  e('InvalidRequest', 400, 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
export const encryptionNotApplicable = () =>
  e('InvalidRequest', 400, 'The encryption parameters are not applicable to this object.');
export const partEncryptionMissing = () =>
  e('InvalidRequest', 400, 'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.');
export const partEncryptionMismatch = () =>
  e('InvalidRequest', 400, 'The provided encryption parameters did not match the ones used originally.');
/** Another request changed the object while this one worked on it (in-place copy). */
export const operationAborted = () =>
  e('OperationAborted', 409, 'A conflicting conditional operation is currently in progress against this resource. Please try again.');
export const kmsKeyWithoutKms = () =>
  e('InvalidArgument', 400, 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', {
    ArgumentName: SSE_HEADER,
  });
/** A KMS error passed through, as Amazon S3 does: 400 `KMS.<exception>` (§5.3). */
export const kmsFailure = (type: string, message: string, status: number) =>
  e(`KMS.${type}`, status >= 500 ? 500 : 400, message);
export const insecureSseKms = () =>
  e('InvalidRequest', 400, 'Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection.');
/** PutBucketEncryption naming a KMS key for an AES256 default (§6). */
export const kmsKeyIdNotApplicable = () =>
  invalidArgument('a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', 'ApplyServerSideEncryptionByDefault');
