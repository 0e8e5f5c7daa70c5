/**
 * The checksums `strongbox cp` sends and checks: which algorithms --checksum accepts, how a
 * value is put into an SDK request, and how one is read back from an SDK answer.
 */
import type { CrcAlgorithm } from '../../checksum/algorithms.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type ChecksumType } from '../../checksum/types.js';
import { usageError } from '../client-error.js';

/** --checksum values: the CRCs that combine into a FULL_OBJECT checksum, or none. */
export const TRANSFER_CHECKSUMS = ['CRC64NVME', 'CRC32', 'CRC32C', 'none'] as const;
export type TransferChecksum = (typeof TRANSFER_CHECKSUMS)[number];
export const DEFAULT_TRANSFER_CHECKSUM: TransferChecksum = 'CRC64NVME';

export function parseTransferChecksum(value: string): TransferChecksum {
  const found = TRANSFER_CHECKSUMS.find((c) => c.toLowerCase() === value.toLowerCase());
  if (found === undefined) throw usageError(`--checksum must be one of ${TRANSFER_CHECKSUMS.join(', ')}, not "${value}"`);
  return found;
}

/** The SDK member holding an algorithm's value (`ChecksumCRC64NVME`), named as the XML element. */
type ChecksumMember = `Checksum${ChecksumAlgorithm}`;
const memberOf = (alg: ChecksumAlgorithm): ChecksumMember => `Checksum${alg}`;
type ChecksumFields = Partial<Record<ChecksumMember, string>>;

/** `{ ChecksumCRC64NVME: base64 }`, for PutObject, UploadPart, CompleteMultipartUpload and its parts. */
export function checksumField(alg: CrcAlgorithm, digest: Buffer): ChecksumFields {
  return { [memberOf(alg)]: digest.toString('base64') };
}

/** A checksum as S3 reports it for an object. */
export interface ObjectChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
  /** base64; a COMPOSITE one ends in `-<number of parts>`. */
  readonly value: string;
}

/**
 * The checksum in an SDK answer (HeadObject, PutObject, CompleteMultipartUpload,
 * GetObjectAttributes), if any. Without ChecksumType (older servers), a `-N` suffix means COMPOSITE.
 */
export function checksumIn(out: { readonly [K in ChecksumMember]?: string | undefined } & { readonly ChecksumType?: string | undefined }): ObjectChecksum | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = out[memberOf(algorithm)];
    if (value === undefined || value === '') continue;
    const given = out.ChecksumType?.toUpperCase();
    const type: ChecksumType = given === 'COMPOSITE' || given === 'FULL_OBJECT' ? given : /-\d+$/.test(value) ? 'COMPOSITE' : 'FULL_OBJECT';
    return { algorithm, type, value };
  }
  return undefined;
}

/** The value without a composite's `-N` suffix. */
export const bareChecksum = (value: string): string => value.replace(/-\d+$/, '');
