/**
 * How a transfer is cut into parts. Amazon's multipart limits
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html) bound uploads; downloads
 * use the same plan so a journal never lists more than MAX_PARTS parts.
 */

const MiB = 1024 * 1024;

/** Every part but the last must be at least this big. */
export const MIN_PART_SIZE = 5 * MiB;
/** The largest part, and the largest single PutObject. */
export const MAX_PART_SIZE = 5 * 1024 * MiB;
/** An upload has at most this many parts. */
export const MAX_PARTS = 10_000;
/** Default --part-size and --multipart-threshold, as the AWS CLI's. */
export const DEFAULT_PART_SIZE = 8 * MiB;

/** One part of a transfer: S3 part number `index + 1`, bytes `[start, start + size)`. */
export interface PartRange {
  /** 0-based; the S3 PartNumber is index + 1. */
  readonly index: number;
  readonly start: number;
  readonly size: number;
}

/**
 * The part size for `size` bytes: the requested one, or more (in whole MiB) when the object
 * would otherwise need more than MAX_PARTS parts, as the AWS CLI does.
 */
export function effectivePartSize(size: number, requested: number): number {
  if (Math.ceil(size / requested) <= MAX_PARTS) return requested;
  return Math.ceil(size / MAX_PARTS / MiB) * MiB;
}

/** The parts of `size` bytes at `partSize` each (the last one shorter); none for 0 bytes. */
export function planParts(size: number, partSize: number): PartRange[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a byte count, not ${size}`);
  if (!Number.isSafeInteger(partSize) || partSize <= 0) throw new RangeError(`part size must be positive, not ${partSize}`);
  const parts: PartRange[] = [];
  for (let start = 0, index = 0; start < size; start += partSize, index++) {
    parts.push({ index, start, size: Math.min(partSize, size - start) });
  }
  return parts;
}

/** Whether an upload of `size` bytes goes in parts: at or above the threshold (as the AWS CLI), or too big for one PUT. */
export const usesMultipart = (size: number, threshold: number): boolean => size >= threshold || size > MAX_PART_SIZE;
