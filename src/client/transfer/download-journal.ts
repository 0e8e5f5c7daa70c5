/**
 * The journal of a resumable download: beside the temporary file `DST.strongbox-download`,
 * `DST.strongbox-download.json` records which object is being fetched (bucket, key, ETag,
 * size), the part size and the parts already written and synced. It never holds key
 * material: an SSE-C key is asked for again on the rerun.
 */
import { readFile, unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../../private-file.js';

/** Changing the fields means a new format id; an unknown one is ignored (the download starts over). */
export const JOURNAL_FORMAT = 'strongbox-download/1';
export const TEMP_SUFFIX = '.strongbox-download';
export const JOURNAL_SUFFIX = `${TEMP_SUFFIX}.json`;

export const tempPathFor = (dst: string): string => `${dst}${TEMP_SUFFIX}`;
export const journalPathFor = (dst: string): string => `${dst}${JOURNAL_SUFFIX}`;

export interface DownloadJournal {
  readonly format: typeof JOURNAL_FORMAT;
  readonly bucket: string;
  readonly key: string;
  /** The ETag every ranged GET is conditioned on (If-Match). */
  readonly etag: string;
  readonly size: number;
  readonly partSize: number;
  /** 0-based indices of the parts written and synced, ascending. */
  readonly done: readonly number[];
}

/** The object a journal must describe to be resumed. */
export interface JournalTarget {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A journal from its text, or the reason it cannot be used. */
export function parseJournal(text: string): DownloadJournal | { readonly invalid: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { invalid: 'not an object' };
  const j = raw as Record<string, unknown>;
  if (j.format !== JOURNAL_FORMAT) return { invalid: `format is not ${JOURNAL_FORMAT}` };
  if (typeof j.bucket !== 'string' || typeof j.key !== 'string' || typeof j.etag !== 'string') return { invalid: 'bucket, key or etag missing' };
  if (!isCount(j.size) || !isCount(j.partSize) || j.partSize === 0) return { invalid: 'size or partSize is not a byte count' };
  const parts = Math.ceil(j.size / j.partSize);
  if (!Array.isArray(j.done) || !j.done.every((i): i is number => isCount(i) && i < parts)) return { invalid: 'done lists parts the object does not have' };
  const done = [...new Set(j.done)].sort((a, b) => a - b);
  return { format: JOURNAL_FORMAT, bucket: j.bucket, key: j.key, etag: j.etag, size: j.size, partSize: j.partSize, done };
}

/** Whether the journal is about this object as it is now (same ETag and size). */
export const journalMatches = (j: DownloadJournal, t: JournalTarget): boolean =>
  j.bucket === t.bucket && j.key === t.key && j.etag === t.etag && j.size === t.size;

export const serializeJournal = (j: DownloadJournal): string => `${JSON.stringify(j)}\n`;

/** The journal at `path`: undefined when there is none, `{ invalid }` when it cannot be used. */
export async function readJournal(path: string): Promise<DownloadJournal | { readonly invalid: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseJournal(text);
}

/** Removes a file that may not exist. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Keeps a journal on disk as parts complete. Parts finish concurrently; writes are chained so
 * the file is replaced (atomically, fsynced) one version at a time, each listing all parts so far.
 */
export class JournalWriter {
  private readonly done: Set<number>;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly base: Omit<DownloadJournal, 'done'>,
    done: readonly number[],
  ) {
    this.done = new Set(done);
  }

  /** Writes the journal as it stands (the first version, before any part). */
  write(): Promise<void> {
    const text = serializeJournal({ ...this.base, done: [...this.done].sort((a, b) => a - b) });
    const next = this.chain.then(() => writeFileAtomic(this.path, text, 0o600));
    // A failed write fails its caller; the chain goes on for the next one.
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Records part `index` as written and synced. */
  markDone(index: number): Promise<void> {
    this.done.add(index);
    return this.write();
  }
}
