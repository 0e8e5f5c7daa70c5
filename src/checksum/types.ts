/** The flexible-checksum algorithms Amazon S3 accepts (../shared/spec/aws-sse.md §9.4). */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** A checksum as stored with an object or part: base64 value, plus `-N` for composites. */
export interface StoredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
  /** base64 of the digest; for COMPOSITE multipart objects `<b64>-<N>`. */
  readonly value: string;
}
