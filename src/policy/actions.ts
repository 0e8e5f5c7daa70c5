import { compilePattern, matchPattern } from './wildcard.js';
import type { Pattern } from './types.js';

/**
 * The S3 actions a bucket policy may name, with the kind of resource each applies to, from
 * the Service Authorization Reference ("Actions defined by Amazon S3"). A policy naming an
 * action outside this list is refused ("Policy has invalid action"); one whose action applies
 * to none of the statement's resources is refused too ("Action does not apply to any
 * resource(s) in statement": `s3:PutObject` on `arn:aws:s3:::bucket`).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
export type ResourceKind = 'bucket' | 'object' | 'other';

const OBJECT_ACTIONS = [
  'AbortMultipartUpload', 'BypassGovernanceRetention', 'DeleteObject', 'DeleteObjectTagging',
  'DeleteObjectVersion', 'DeleteObjectVersionTagging', 'GetObject', 'GetObjectAcl',
  'GetObjectAttributes', 'GetObjectLegalHold', 'GetObjectRetention', 'GetObjectTagging',
  'GetObjectTorrent', 'GetObjectVersion', 'GetObjectVersionAcl', 'GetObjectVersionAttributes',
  'GetObjectVersionForReplication', 'GetObjectVersionTagging', 'GetObjectVersionTorrent',
  'InitiateReplication', 'ListMultipartUploadParts', 'ObjectOwnerOverrideToBucketOwner', 'PutObject',
  'PutObjectAcl', 'PutObjectLegalHold', 'PutObjectRetention', 'PutObjectTagging', 'PutObjectVersionAcl',
  'PutObjectVersionTagging', 'ReplicateDelete', 'ReplicateObject', 'ReplicateTags', 'RestoreObject',
] as const;

const BUCKET_ACTIONS = [
  'CreateBucket', 'DeleteBucket', 'DeleteBucketOwnershipControls', 'DeleteBucketPolicy',
  'DeleteBucketWebsite', 'GetAccelerateConfiguration', 'GetAnalyticsConfiguration', 'GetBucketAcl',
  'GetBucketCORS', 'GetBucketLocation', 'GetBucketLogging', 'GetBucketNotification',
  'GetBucketObjectLockConfiguration', 'GetBucketOwnershipControls', 'GetBucketPolicy',
  'GetBucketPolicyStatus', 'GetBucketPublicAccessBlock', 'GetBucketRequestPayment', 'GetBucketTagging',
  'GetBucketVersioning', 'GetBucketWebsite', 'GetEncryptionConfiguration',
  'GetIntelligentTieringConfiguration', 'GetInventoryConfiguration', 'GetLifecycleConfiguration',
  'GetMetricsConfiguration', 'GetReplicationConfiguration', 'ListBucket', 'ListBucketMultipartUploads',
  'ListBucketVersions', 'PutAccelerateConfiguration', 'PutAnalyticsConfiguration', 'PutBucketAcl',
  'PutBucketCORS', 'PutBucketLogging', 'PutBucketNotification', 'PutBucketObjectLockConfiguration',
  'PutBucketOwnershipControls', 'PutBucketPolicy', 'PutBucketPublicAccessBlock',
  'PutBucketRequestPayment', 'PutBucketTagging', 'PutBucketVersioning', 'PutBucketWebsite',
  'PutEncryptionConfiguration', 'PutIntelligentTieringConfiguration', 'PutInventoryConfiguration',
  'PutLifecycleConfiguration', 'PutMetricsConfiguration', 'PutReplicationConfiguration',
] as const;

/** Actions on no bucket or object (the account, access points, jobs …): valid names, never applicable here. */
const OTHER_ACTIONS = [
  'ListAllMyBuckets', 'GetAccessPoint', 'ListAccessPoints', 'GetAccountPublicAccessBlock',
  'PutAccountPublicAccessBlock', 'ListJobs', 'CreateJob',
] as const;

/** Every known action, `s3:Name` → the kind of resource it applies to. */
export const S3_ACTIONS: ReadonlyMap<string, ResourceKind> = new Map<string, ResourceKind>([
  ...OBJECT_ACTIONS.map((a) => [`s3:${a}`, 'object'] as const),
  ...BUCKET_ACTIONS.map((a) => [`s3:${a}`, 'bucket'] as const),
  ...OTHER_ACTIONS.map((a) => [`s3:${a}`, 'other'] as const),
]);

/** Compiles an `Action`/`NotAction` entry; undefined when it names no S3 action. Actions compare without case. */
export function compileAction(source: string): Pattern | undefined {
  const pattern = compilePattern(source, true);
  if (source === '*') return pattern;
  if (!source.toLowerCase().startsWith('s3:')) return undefined;
  for (const name of S3_ACTIONS.keys()) if (matchPattern(pattern, name)) return pattern;
  return undefined;
}

/** The kinds of resource the actions a pattern names apply to. */
export function actionKinds(pattern: Pattern): Set<ResourceKind> {
  const kinds = new Set<ResourceKind>();
  for (const [name, kind] of S3_ACTIONS) if (matchPattern(pattern, name)) kinds.add(kind);
  return kinds;
}
