/**
 * What the S3 side needs of a key management service: the seam behind which the built-in KMS
 * (src/kms/builtin/) and external backends (HashiCorp Vault / OpenBao transit, KMIP) sit.
 * SSE-KMS and DSSE-KMS make at most one call per object write (generateDataKey) and one per
 * read (decrypt); a short-lived in-memory cache may answer repeated decrypts.
 */

/** AWS encryption context: string pairs bound to a ciphertext; decryption needs the same pairs. */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface GeneratedDataKey {
  /** The full ARN of the KMS key that sealed it (responses always show the ARN). */
  readonly keyArn: string;
  /** Owned by the caller, who wipes it. */
  readonly plaintext: Buffer;
  /** Opaque to S3; stored with the object and given back to decrypt. */
  readonly ciphertext: Buffer;
}

export interface KeyManagementService {
  /**
   * A new data key of `bytes` bytes under the key `keyRef` names: a key id, key ARN, alias
   * name (`alias/x`) or alias ARN; undefined means the AWS-managed `aws/s3` key, created on
   * first use. Throws KmsError (NotFoundException, DisabledException, KMSInvalidStateException,
   * and AccessDeniedException when `caller` may not use the key).
   */
  generateDataKey(keyRef: string | undefined, context: EncryptionContext, bytes: number, caller: KmsCaller): Promise<GeneratedDataKey>;
  /** Opens a ciphertext from generateDataKey; throws KmsError (DisabledException … InvalidCiphertextException). */
  decrypt(ciphertext: Buffer, context: EncryptionContext, caller: KmsCaller): Promise<{ readonly keyArn: string; readonly plaintext: Buffer }>;
  /** The full ARN `keyRef` names, for responses and policies; throws KmsError NotFoundException. */
  keyArn(keyRef: string | undefined): Promise<string>;
  /**
   * The AWS KMS JSON API this KMS serves on the S3 endpoint (`X-Amz-Target: TrentService.*`,
   * src/kms/api/): present for the built-in KMS, absent for external backends, whose keys are
   * managed at their own endpoint.
   */
  readonly api?: KmsApi;
}

/** A JSON object as AWS KMS sends and receives it (blobs as base64 strings). */
export type JsonObject = { [name: string]: unknown };

/**
 * Who asks the KMS: the KMS API's signer, or the requester of the S3 request that needs a data
 * key (S3 calls on its behalf, as Amazon S3 calls AWS KMS with the requester's identity). The
 * KMS decides from it who may use a key (src/kms/builtin/key-access.ts). A Requester
 * (src/server/requester.ts) is one.
 */
export interface KmsCaller {
  /** A verified Strongbox user; undefined for an anonymous S3 request that a bucket policy let in. */
  readonly user: { readonly name: string; readonly isRoot: boolean } | undefined;
}

/** Runs one KMS API operation (`CreateKey`, …) on a parsed JSON body; throws KmsError. */
export type KmsApi = (operation: string, input: JsonObject, caller: KmsCaller) => Promise<JsonObject | undefined>;

/**
 * An error of the AWS KMS API. The KMS endpoint answers it as JSON (`__type`), S3 passes it
 * through as 400 `KMS.<type>` (../shared/spec/aws-sse.md §5.3).
 */
export class KmsError extends Error {
  constructor(
    /** The AWS KMS exception name, e.g. NotFoundException. */
    readonly type: string,
    message: string,
    /** HTTP status on the KMS endpoint. */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'KmsError';
  }
}
