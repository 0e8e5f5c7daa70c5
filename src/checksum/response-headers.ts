/**
 * How a stored checksum is shown to clients: `x-amz-checksum-<alg>` + `x-amz-checksum-type`
 * response headers, and the `Checksum<ALG>` / `ChecksumType` XML elements
 * (../shared/spec/aws-sse.md §9.5).
 */
import { checksumHeaderName } from './request-checksum.js';
import type { ChecksumAlgorithm, StoredChecksum } from './types.js';

export { checksumHeaderName };
export const CHECKSUM_TYPE_HEADER = 'x-amz-checksum-type';
export const CHECKSUM_MODE_HEADER = 'x-amz-checksum-mode';

/** XML element per algorithm, as in GetObjectAttributes, CompleteMultipartUpload, ListParts. */
export const CHECKSUM_XML_ELEMENT: Readonly<Record<ChecksumAlgorithm, string>> = {
  CRC32: 'ChecksumCRC32',
  CRC32C: 'ChecksumCRC32C',
  CRC64NVME: 'ChecksumCRC64NVME',
  SHA1: 'ChecksumSHA1',
  SHA256: 'ChecksumSHA256',
};
export const CHECKSUM_TYPE_XML_ELEMENT = 'ChecksumType';

/**
 * Response headers for a checksum: `x-amz-checksum-<alg>` and, unless `withType` is false
 * (UploadPart), `x-amz-checksum-type`.
 */
export function checksumHeaders(c: StoredChecksum, withType = true): Record<string, string> {
  const headers: Record<string, string> = { [checksumHeaderName(c.algorithm)]: c.value };
  if (withType) headers[CHECKSUM_TYPE_HEADER] = c.type;
  return headers;
}

/** XML fields for a checksum, e.g. `{ ChecksumCRC64NVME: '…', ChecksumType: 'FULL_OBJECT' }`. */
export function checksumXmlFields(c: StoredChecksum, withType = true): Record<string, string> {
  const fields: Record<string, string> = { [CHECKSUM_XML_ELEMENT[c.algorithm]]: c.value };
  if (withType) fields[CHECKSUM_TYPE_XML_ELEMENT] = c.type;
  return fields;
}

/** Whether a GET/HEAD asked for checksums (`x-amz-checksum-mode: ENABLED`). */
export const checksumModeEnabled = (value: string | string[] | undefined): boolean =>
  (Array.isArray(value) ? value[0] : value)?.trim().toUpperCase() === 'ENABLED';

/** The algorithm's XML element alone, e.g. `{ ChecksumCRC32: '…' }` (CopyObjectResult, Part). */
export const checksumXml = (c: StoredChecksum): Record<string, string> => checksumXmlFields(c, false);
