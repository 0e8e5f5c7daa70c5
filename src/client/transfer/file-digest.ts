/** Checksums of local files, read as streams: a byte range before it is sent, a whole file after a download. */
import { createReadStream } from 'node:fs';
import { createHasher, type Hasher } from '../../checksum/algorithms.js';
import type { ChecksumAlgorithm } from '../../checksum/types.js';

/** 64 KiB reads, as everywhere else (STYLE.md §9). */
const READ_SIZE = 64 * 1024;

/** The digest of `size` bytes of `path` from `start`; fails if the file is shorter. */
export async function digestRange(path: string, start: number, size: number, alg: ChecksumAlgorithm): Promise<Buffer> {
  const h = createHasher(alg);
  let seen = 0;
  if (size > 0) {
    for await (const chunk of createReadStream(path, { start, end: start + size - 1, highWaterMark: READ_SIZE }) as AsyncIterable<Buffer>) {
      h.update(chunk);
      seen += chunk.length;
    }
  }
  if (seen !== size) throw new Error(`${path} ended after ${start + seen} bytes, expected at least ${start + size}`);
  return h.digest();
}

export interface FileDigests {
  /** Bytes read. */
  readonly size: number;
  /** The digest of the whole file (undefined when part sizes were given). */
  readonly whole: Buffer | undefined;
  /** One digest per part when part sizes were given (a COMPOSITE checksum's parts). */
  readonly parts: Buffer[];
}

/**
 * Reads `path` once: the digest of the whole file, or with `partSizes` the digest of each
 * part (bytes beyond the last part go into none; the caller compares `size`).
 */
export async function digestFile(path: string, alg: ChecksumAlgorithm, partSizes?: readonly number[]): Promise<FileDigests> {
  const whole = partSizes === undefined ? createHasher(alg) : undefined;
  const parts: Buffer[] = [];
  let part: Hasher | undefined;
  let partIndex = 0;
  let partLeft = partSizes?.[0] ?? 0;
  let size = 0;
  const closePart = () => {
    parts.push((part ?? createHasher(alg)).digest());
    part = undefined;
    partIndex++;
    partLeft = partSizes?.[partIndex] ?? 0;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: READ_SIZE }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    whole?.update(chunk);
    if (partSizes === undefined) continue;
    let offset = 0;
    while (offset < chunk.length && partIndex < partSizes.length) {
      if (partLeft === 0) {
        closePart();
        continue;
      }
      const n = Math.min(partLeft, chunk.length - offset);
      (part ??= createHasher(alg)).update(chunk.subarray(offset, offset + n));
      offset += n;
      partLeft -= n;
    }
  }
  // Parts that end exactly at the end of the file (and empty parts) are closed here.
  while (partSizes !== undefined && partIndex < partSizes.length && partLeft === 0) closePart();
  return { size, whole: whole?.digest(), parts };
}
