/**
 * Bucket default encryption: PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption
 * (../shared/spec/aws-sse.md §3, §6). The configuration is one rule: the default algorithm (and
 * KMS key) for writes without SSE headers, BucketKeyEnabled, and the encryption types the
 * bucket refuses for writes (BlockedEncryptionTypes; today only SSE-C). What a write gets from
 * it is decided in src/crypto/write-choice.ts.
 *
 * A bucket never configured answers GetBucketEncryption with Amazon's default (SSE-S3), never
 * with the pre-2023 404 ServerSideEncryptionConfigurationNotFoundError (§6, trap 28).
 */
import type { BucketContext, S3Response } from '../server/context.js';
import type { BucketEncryptionConfig } from '../store/meta/types.js';
import { readXmlDocument } from './document-body.js';
import { kmsKeyIdNotApplicable, malformedXml, noSuchBucket, bodyChecksumRequired } from '../errors/s3-error.js';
import { renderXml, type XmlNode } from '../server/xml.js';
import { MAX_CONFIG_BODY, parseXmlBoolean, type XmlElement } from '../server/xml-request.js';

const ALGORITHMS: readonly BucketEncryptionConfig['sseAlgorithm'][] = ['AES256', 'aws:kms', 'aws:kms:dsse'];
const SSE_C = 'SSE-C';
/** Unblocks everything when given as the only EncryptionType. */
const NONE = 'NONE';

/** What a new bucket gets when it blocks `blocked` from the start (`--block-sse-c-on-new-buckets`). */
export const creationDefaultEncryption = (blocked: readonly string[]): BucketEncryptionConfig => ({
  sseAlgorithm: 'AES256',
  bucketKeyEnabled: false,
  blockedEncryptionTypes: [...blocked],
  explicit: false,
  blockedAtCreation: [...blocked],
});

/** The EncryptionType list: SSE-C blocks it, NONE (alone) unblocks everything. */
function parseBlocked(node: XmlElement): string[] {
  if (node.children.length === 0 && node.text.trim() !== '') throw malformedXml();
  const types = node.all('EncryptionType').map((t) => {
    if (t.children.length > 0) throw malformedXml();
    return t.text.trim();
  });
  if (types.some((t) => t !== SSE_C && t !== NONE)) throw malformedXml();
  if (types.includes(NONE)) {
    if (types.some((t) => t !== NONE)) throw malformedXml();
    return [];
  }
  return [...new Set(types)];
}

/**
 * The one rule of a ServerSideEncryptionConfiguration (§6 Validation, Amazon's errors).
 * `blocked` is undefined when the rule leaves BlockedEncryptionTypes out. @internal
 */
export function parseConfiguration(doc: XmlElement): Omit<BucketEncryptionConfig, 'blockedEncryptionTypes' | 'explicit'> & { blocked: string[] | undefined } {
  const rules = doc.all('Rule');
  if (rules.length !== 1) throw malformedXml();
  const rule = rules[0]!;
  const byDefault = rule.child('ApplyServerSideEncryptionByDefault');
  if (byDefault === undefined) throw malformedXml();
  const algorithm = ALGORITHMS.find((a) => a === byDefault.textOf('SSEAlgorithm')?.trim());
  if (algorithm === undefined) throw malformedXml();
  const keyId = byDefault.textOf('KMSMasterKeyID');
  const hasKey = keyId !== undefined && keyId !== '';
  if (hasKey && algorithm === 'AES256') throw kmsKeyIdNotApplicable();
  const blocked = rule.child('BlockedEncryptionTypes');
  return {
    sseAlgorithm: algorithm,
    ...(hasKey ? { kmsMasterKeyId: keyId } : {}),
    bucketKeyEnabled: parseXmlBoolean(rule.textOf('BucketKeyEnabled')),
    blocked: blocked === undefined ? undefined : parseBlocked(blocked),
  };
}

/**
 * PutBucketEncryption: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html
 * The body must carry Content-MD5 or a flexible checksum (either is verified). The KMS key is
 * not looked up: a bad one shows on the first write (§5.3). A rule without
 * BlockedEncryptionTypes keeps the bucket's current blocks, so configuring a KMS default never
 * silently re-allows SSE-C [unconf]; `NONE` lifts them.
 */
export async function putBucketEncryption(ctx: BucketContext): Promise<S3Response> {
  const doc = await readXmlDocument(ctx, 'ServerSideEncryptionConfiguration', { limit: MAX_CONFIG_BODY, checksumRequired: () => bodyChecksumRequired('Put Bucket Encryption') });
  const { blocked, ...rule } = parseConfiguration(doc);
  const current = ctx.bucket.encryption;
  const config: BucketEncryptionConfig = {
    ...rule,
    blockedEncryptionTypes: blocked ?? current?.blockedEncryptionTypes ?? [],
    explicit: true,
    ...(current?.blockedAtCreation === undefined ? {} : { blockedAtCreation: current.blockedAtCreation }),
  };
  if (!(await ctx.stores.meta.updateBucket(ctx.bucketName, { encryption: config }))) throw noSuchBucket(ctx.bucketName);
  return { status: 200 };
}

/**
 * GetBucketEncryption: the configuration, or Amazon's default (AES256, no Bucket Key) for a
 * bucket never configured. KMSMasterKeyID is echoed as it was put (an id stays an id).
 */
export async function getBucketEncryption(ctx: BucketContext): Promise<S3Response> {
  const cfg = ctx.bucket.encryption;
  const byDefault: XmlNode = { SSEAlgorithm: cfg?.sseAlgorithm ?? 'AES256', KMSMasterKeyID: cfg?.kmsMasterKeyId };
  const blocked = cfg?.blockedEncryptionTypes ?? [];
  return {
    status: 200,
    body: renderXml('ServerSideEncryptionConfiguration', {
      Rule: {
        ApplyServerSideEncryptionByDefault: byDefault,
        BucketKeyEnabled: cfg?.bucketKeyEnabled ?? false,
        BlockedEncryptionTypes: blocked.length === 0 ? undefined : { EncryptionType: blocked },
      },
    }),
  };
}

/**
 * DeleteBucketEncryption: 204, also when nothing was configured. The bucket goes back to its
 * creation default: SSE-S3, with the blocks it was created with (§3 leaves this open; this is
 * the safest reading).
 */
export async function deleteBucketEncryption(ctx: BucketContext): Promise<S3Response> {
  const created = ctx.bucket.encryption?.blockedAtCreation;
  const encryption = created === undefined || created.length === 0 ? null : creationDefaultEncryption(created);
  if (!(await ctx.stores.meta.updateBucket(ctx.bucketName, { encryption }))) throw noSuchBucket(ctx.bucketName);
  return { status: 204 };
}
