/**
 * ListObjects (V1), ListObjectsV2 and ListObjectVersions. Buckets are unversioned, so a
 * version listing shows every current object as version `null`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 */
import type { BucketContext, S3Response } from '../server/context.js';
import type { ObjectSummary } from '../store/meta/types.js';
import { renderXml, type XmlNode } from '../server/xml.js';
import { invalidArgument } from '../errors/s3-error.js';
import { principal } from './owner.js';
import {
  decodeContinuationToken,
  delimiterParam,
  encodeContinuationToken,
  encodingTypeParam,
  listPage,
  listTimestamp,
  maxParam,
  nameEncoder,
  type Page,
} from './list-page.js';

const XML_HEADERS = { 'content-type': 'application/xml' } as const;

/** The version id every object of an unversioned bucket has. */
const NULL_VERSION = 'null';

interface ListParams {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  readonly encoding: 'url' | undefined;
  readonly maxKeys: { requested: number; effective: number };
}

function commonParams(query: URLSearchParams): ListParams {
  return {
    prefix: query.get('prefix') ?? '',
    delimiter: delimiterParam(query),
    encoding: encodingTypeParam(query),
    maxKeys: maxParam(query, 'max-keys', 'maxKeys'),
  };
}

function page(ctx: BucketContext, p: ListParams, marker: string | undefined): Promise<Page<ObjectSummary>> {
  const { meta } = ctx.stores;
  return listPage<ObjectSummary>((q) => meta.listObjects(ctx.bucketName, { prefix: p.prefix, ...q }), {
    prefix: p.prefix,
    delimiter: p.delimiter,
    marker,
    maxKeys: p.maxKeys.effective,
  });
}


/** Checksum elements of a listed object, when it has a checksum. */
const checksumFields = (o: ObjectSummary): XmlNode => ({
  ChecksumAlgorithm: o.checksumAlgorithm,
  ChecksumType: o.checksumAlgorithm === undefined ? undefined : o.checksumType,
});

/** One `<Contents>` element of ListObjects / ListObjectsV2. @internal */
export function contentsNode(o: ObjectSummary, enc: (s: string) => string, withOwner: boolean): XmlNode {
  return {
    Key: enc(o.key),
    LastModified: listTimestamp(o.lastModified),
    ETag: o.etag,
    ...checksumFields(o),
    Size: o.size,
    Owner: withOwner ? principal(o.owner) : undefined,
    StorageClass: o.storageClass,
  };
}

const prefixNodes = (prefixes: readonly string[], enc: (s: string) => string): XmlNode[] =>
  prefixes.map((p) => ({ Prefix: enc(p) }));

const xml = (root: string, body: XmlNode): S3Response => ({
  status: 200,
  headers: XML_HEADERS,
  body: renderXml(root, body),
});

/** ListObjects (V1): `marker`; NextMarker only when a delimiter was given, as Amazon does. */
export async function listObjects(ctx: BucketContext): Promise<S3Response> {
  const p = commonParams(ctx.query);
  const marker = ctx.query.get('marker') ?? '';
  const result = await page(ctx, p, marker === '' ? undefined : marker);
  const e = nameEncoder(p.encoding);
  const enc = (s: string) => e(s) ?? s;
  return xml('ListBucketResult', {
    Name: ctx.bucketName,
    // botocore decodes only Marker/NextMarker/Delimiter and keys here: Prefix stays plain.
    Prefix: p.prefix,
    Marker: enc(marker),
    NextMarker: result.truncated && p.delimiter !== undefined ? e(result.last) : undefined,
    MaxKeys: p.maxKeys.requested,
    Delimiter: e(p.delimiter),
    IsTruncated: result.truncated,
    Contents: result.items.map((o) => contentsNode(o, enc, true)),
    CommonPrefixes: prefixNodes(result.prefixes, enc),
    EncodingType: p.encoding,
  });
}

/** ListObjectsV2: opaque continuation tokens, start-after, fetch-owner and KeyCount. */
export async function listObjectsV2(ctx: BucketContext): Promise<S3Response> {
  const { query } = ctx;
  const p = commonParams(query);
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? undefined;
  // The token wins over start-after (both are echoed).
  const marker = token !== null && token !== '' ? decodeContinuationToken(token) : startAfter;
  const fetchOwner = (query.get('fetch-owner') ?? '').toLowerCase() === 'true';
  const result = await page(ctx, p, marker === '' ? undefined : marker);
  const e = nameEncoder(p.encoding);
  const enc = (s: string) => e(s) ?? s;
  return xml('ListBucketResult', {
    Name: ctx.bucketName,
    Prefix: enc(p.prefix),
    MaxKeys: p.maxKeys.requested,
    KeyCount: result.items.length + result.prefixes.length,
    Delimiter: e(p.delimiter),
    IsTruncated: result.truncated,
    ContinuationToken: token ?? undefined,
    NextContinuationToken:
      result.truncated && result.last !== undefined ? encodeContinuationToken(result.last) : undefined,
    StartAfter: e(startAfter),
    Contents: result.items.map((o) => contentsNode(o, enc, fetchOwner)),
    CommonPrefixes: prefixNodes(result.prefixes, enc),
    EncodingType: p.encoding,
  });
}

/** ListObjectVersions on an unversioned bucket: each object once, VersionId `null`, latest. */
export async function listObjectVersions(ctx: BucketContext): Promise<S3Response> {
  const { query } = ctx;
  const p = commonParams(query);
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = query.get('version-id-marker');
  if (versionIdMarker !== null && versionIdMarker !== '') {
    if (keyMarker === '') {
      throw invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', versionIdMarker);
    }
    if (versionIdMarker !== NULL_VERSION) {
      throw invalidArgument('Invalid version id specified', 'version-id-marker', versionIdMarker);
    }
  }
  // With one version per key, (key-marker, null) and key-marker alone both resume after the key.
  const result = await page(ctx, p, keyMarker === '' ? undefined : keyMarker);
  const e = nameEncoder(p.encoding);
  const enc = (s: string) => e(s) ?? s;
  const lastIsPrefix = result.last !== undefined && result.prefixes.at(-1) === result.last;
  return xml('ListVersionsResult', {
    Name: ctx.bucketName,
    Prefix: enc(p.prefix),
    KeyMarker: enc(keyMarker),
    VersionIdMarker: versionIdMarker ?? '',
    NextKeyMarker: result.truncated ? e(result.last) : undefined,
    NextVersionIdMarker: result.truncated && !lastIsPrefix ? NULL_VERSION : undefined,
    MaxKeys: p.maxKeys.requested,
    Delimiter: e(p.delimiter),
    IsTruncated: result.truncated,
    Version: result.items.map((o) => ({
      Key: enc(o.key),
      VersionId: NULL_VERSION,
      IsLatest: true,
      LastModified: listTimestamp(o.lastModified),
      ETag: o.etag,
      ...checksumFields(o),
      Size: o.size,
      Owner: principal(o.owner),
      StorageClass: o.storageClass,
    })),
    CommonPrefixes: prefixNodes(result.prefixes, enc),
    EncodingType: p.encoding,
  });
}
