/**
 * Pure rules of multipart uploads: the checksum settings of CreateMultipartUpload, the
 * object checksum computed on Complete (../shared/spec/aws-sse.md §9.4–§9.5) and the
 * multipart ETag.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { combineCrc, compositeChecksum, hashOf, isCrcAlgorithm } from '../checksum/algorithms.js';
import { decodeChecksum } from '../checksum/request-checksum.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type ChecksumType, type StoredChecksum } from '../checksum/types.js';
import { invalidRequest } from '../errors/s3-error.js';
import { header } from './headers.js';

export const CHECKSUM_ALGORITHM_HEADER = 'x-amz-checksum-algorithm';
export const CHECKSUM_TYPE_HEADER = 'x-amz-checksum-type';

export interface UploadChecksum {
  readonly algorithm?: ChecksumAlgorithm;
  readonly type?: ChecksumType;
}

const lower = (alg: string): string => alg.toLowerCase();

/** CreateMultipartUpload's `x-amz-checksum-algorithm` and `x-amz-checksum-type`, validated. */
export function uploadChecksumFrom(headers: IncomingHttpHeaders): UploadChecksum {
  const rawAlg = header(headers, CHECKSUM_ALGORITHM_HEADER)?.trim();
  const rawType = header(headers, CHECKSUM_TYPE_HEADER)?.trim();
  if (rawAlg === undefined || rawAlg === '') {
    if (rawType !== undefined && rawType !== '') {
      throw invalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    }
    return {};
  }
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === rawAlg.toUpperCase());
  if (algorithm === undefined) {
    throw invalidRequest(
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    );
  }
  let type: ChecksumType;
  if (rawType === undefined || rawType === '') {
    type = algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
  } else if (rawType.toUpperCase() === 'COMPOSITE' || rawType.toUpperCase() === 'FULL_OBJECT') {
    type = rawType.toUpperCase() as ChecksumType;
  } else {
    throw invalidRequest(`Value for ${CHECKSUM_TYPE_HEADER} header is invalid.`);
  }
  if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') {
    throw invalidRequest('The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
  }
  if (type === 'FULL_OBJECT' && !isCrcAlgorithm(algorithm)) {
    throw invalidRequest(`The FULL_OBJECT checksum type cannot be used with the ${lower(algorithm)} checksum algorithm.`);
  }
  return { algorithm, type };
}

/** UploadPart with a checksum of another algorithm than the upload's. */
export const checksumTypeMismatch = (expected: ChecksumAlgorithm, actual: ChecksumAlgorithm) =>
  invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${lower(expected)}, actual checksum Type: ${lower(actual)}`);

/** Complete without the checksum of a part, on an upload that has an algorithm. */
export const missingPartChecksum = (alg: ChecksumAlgorithm, partNumber: number) =>
  invalidRequest(
    `The upload was created using a ${lower(alg)} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`,
  );

/** Complete's `x-amz-checksum-type` differs from the upload's (`null` when it has none). */
export const checksumModeMismatch = (type: ChecksumType | undefined) =>
  invalidRequest(
    `The upload was created using the ${type ?? 'null'} checksum mode. The complete request must use the same checksum mode.`,
  );

/**
 * The ETag of a multipart object: MD5 of the concatenated binary part ETags, then `-N`.
 * Random part ETags (SSE-C, KMS) are 32 hex digits too, so the rule is the same.
 */
export function multipartEtag(partEtags: readonly string[]): string {
  const binary = partEtags.map((etag) => Buffer.from(etag.replace(/^"|"$/g, ''), 'hex'));
  return `"${hashOf('MD5', ...binary).toString('hex')}-${partEtags.length}"`;
}

/** A part as Complete combines it: its stored checksum and plaintext size. */
export interface ChecksumPart {
  readonly size: number;
  readonly checksum?: StoredChecksum;
}

/** The raw digest of a part's checksum in `alg`, if it has one. */
export function partDigest(part: ChecksumPart, alg: ChecksumAlgorithm): Buffer | undefined {
  if (part.checksum?.algorithm !== alg) return undefined;
  return decodeChecksum(alg, part.checksum.value);
}

/**
 * The object checksum of a completed upload from its parts' checksums: COMPOSITE is the
 * algorithm over the binary part digests (`<b64>-N`), FULL_OBJECT the CRC of the whole
 * object combined from the part CRCs. Undefined if a part lacks a digest in `alg`.
 */
export function objectChecksum(
  alg: ChecksumAlgorithm,
  type: ChecksumType,
  parts: readonly ChecksumPart[],
): StoredChecksum | undefined {
  const digests: Buffer[] = [];
  for (const p of parts) {
    const d = partDigest(p, alg);
    if (d === undefined) return undefined;
    digests.push(d);
  }
  if (type === 'COMPOSITE') return { algorithm: alg, type, value: compositeChecksum(alg, digests) };
  if (!isCrcAlgorithm(alg)) return undefined;
  let acc: Buffer | undefined;
  digests.forEach((d, i) => {
    acc = acc === undefined ? d : combineCrc(alg, acc, d, parts[i]!.size);
  });
  return acc === undefined ? undefined : { algorithm: alg, type, value: acc.toString('base64') };
}
