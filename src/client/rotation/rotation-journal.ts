/**
 * The journal that makes `strongbox rotate` resumable: an append-only file of JSON lines. The
 * first line names the rotation (endpoint, bucket, prefix, key fingerprints or KMS key id:
 * never key material), then comes one line per finished object and, once the rotation is
 * through, a completion line. Each line is fsync'd before its object counts as done, so a
 * killed run loses at most the lines of the objects in flight; a resumed run finds those with
 * its HEAD checks (already under the new key). A crash can tear the last line: it is ignored
 * and cut off before the next append.
 */
import { createHash } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClientError } from '../client-error.js';
import { syncDirectory } from '../../private-file.js';

/** What the header line says the file is; changing it orphans journals of interrupted rotations. */
export const JOURNAL_FORMAT = 'strongbox-rotate-journal';
export const JOURNAL_VERSION = 1;

/** What makes two runs the same rotation (and so one may resume the other). */
export interface RotationIdentity {
  /** The endpoint URL without trailing slashes; null for Amazon S3. */
  readonly endpoint: string | null;
  readonly bucket: string;
  readonly prefix: string;
  /** Short fingerprint of the old SSE-C key. */
  readonly from: string;
  /** Short fingerprint of the new SSE-C key, or `kms:KEYID`. */
  readonly to: string;
}

const IDENTITY_FIELDS = ['endpoint', 'bucket', 'prefix', 'from', 'to'] as const;

/** How an object left the rotation for good (failed and changed objects are not recorded: a re-run retries them). */
export const JOURNAL_OUTCOMES = ['rotated', 'already-rotated', 'not-sse-c', 'not-opened'] as const;
export type JournalOutcome = (typeof JOURNAL_OUTCOMES)[number];

export interface CompletionRecord {
  /** ISO time the rotation finished. */
  readonly completed: string;
  /** The final report's counts (outcome → objects), over every run of the rotation. */
  readonly counts: Readonly<Record<string, number>>;
}

export interface JournalState {
  /** Object key → outcome, for every object recorded as finished. */
  readonly done: ReadonlyMap<string, JournalOutcome>;
  /** KMS key ARNs that S3 reported for objects rotated to SSE-KMS. */
  readonly kmsKeyIds: ReadonlySet<string>;
  /** Set when the rotation went through to the end. */
  readonly completion: CompletionRecord | undefined;
  /** Bytes up to the end of the last whole line; anything after it is a torn line. */
  readonly validLength: number;
}

const journalError = (message: string): ClientError => new ClientError('STRONGBOX_CLIENT_JOURNAL', message);

/** `strongbox-rotate-<16 hex>.jsonl`: one name per rotation, so re-running the same command resumes. */
export function defaultJournalName(id: RotationIdentity): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(IDENTITY_FIELDS.map((f) => id[f])))
    .digest('hex');
  return `strongbox-rotate-${digest.slice(0, 16)}.jsonl`;
}

function headerLine(id: RotationIdentity, labels: { readonly from: string; readonly to: string }, started: Date): string {
  // `format` first: a header torn by a crash is then recognisable by its start.
  return `${JSON.stringify({ format: JOURNAL_FORMAT, version: JOURNAL_VERSION, ...id, labels, started: started.toISOString() })}\n`;
}

const TORN_HEADER_START = `{"format":"${JOURNAL_FORMAT}"`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return isRecord(v) ? v : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function checkHeader(header: Record<string, unknown>, expected: RotationIdentity, file: string): void {
  if (header.format !== JOURNAL_FORMAT) throw journalError(`${file} is not a rotation journal`);
  if (header.version !== JOURNAL_VERSION) throw journalError(`journal ${file} has format version ${String(header.version)}; this strongbox reads version ${JOURNAL_VERSION}`);
  const differs = IDENTITY_FIELDS.filter((f) => header[f] !== expected[f]);
  if (differs.length === 0) return;
  const what = differs.map((f) => `${f} ${JSON.stringify(header[f])} instead of ${JSON.stringify(expected[f])}`).join(', ');
  throw journalError(`journal ${file} belongs to another rotation (${what}): remove it, or pass --journal with another file`);
}

/**
 * Reads a journal's text for the rotation `expected`. Undefined when it holds no whole line
 * (an empty file, or a header torn by a crash): the rotation starts afresh. Throws
 * STRONGBOX_CLIENT_JOURNAL for another rotation's journal, a file that is not a journal, or a
 * damaged line before the last.
 */
export function parseJournal(text: string, expected: RotationIdentity, file: string): JournalState | undefined {
  const end = text.lastIndexOf('\n') + 1;
  const torn = text.slice(end);
  if (end === 0) {
    if (torn === '' || TORN_HEADER_START.startsWith(torn) || torn.startsWith(TORN_HEADER_START)) return undefined;
    throw journalError(`${file} is not a rotation journal`);
  }
  const lines = text.slice(0, end - 1).split('\n');
  const parsed = lines.map((line, i) => {
    const v = parseLine(line);
    if (v !== undefined) return v;
    // A whole line that is not JSON is damage, not a crash (which can only tear the last line).
    throw journalError(i === 0 ? `${file} is not a rotation journal` : `journal ${file}: line ${i + 1} is damaged`);
  });
  checkHeader(parsed[0]!, expected, file);
  const done = new Map<string, JournalOutcome>();
  const kmsKeyIds = new Set<string>();
  let completion: CompletionRecord | undefined;
  parsed.slice(1).forEach((entry, i) => {
    const { key, outcome, kmsKeyId, completed, counts } = entry;
    if (typeof key === 'string' && JOURNAL_OUTCOMES.includes(outcome as JournalOutcome)) {
      done.set(key, outcome as JournalOutcome);
      if (typeof kmsKeyId === 'string') kmsKeyIds.add(kmsKeyId);
    } else if (typeof completed === 'string' && isRecord(counts)) {
      completion = { completed, counts: counts as Record<string, number> };
    } else {
      throw journalError(`journal ${file}: line ${i + 2} is not a journal entry`);
    }
  });
  return { done, kmsKeyIds, completion, validLength: Buffer.byteLength(text.slice(0, end)) };
}

interface Pending {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** An open journal: appends are batched, each batch written then fsync'd before its callers resume. */
export class RotationJournal {
  private queue: Pending[] = [];
  private draining = false;
  private broken: ClientError | undefined;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Opens `path` for the rotation `id`: resumes a journal of the same rotation (returned as
   * `resumed`), or starts one when the file is missing or empty. A torn last line is cut off.
   */
  static async open(
    path: string,
    id: RotationIdentity,
    labels: { readonly from: string; readonly to: string },
    now: Date,
  ): Promise<{ journal: RotationJournal; resumed: JournalState | undefined }> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw journalError(`journal ${path} cannot be read: ${(err as Error).message}`);
    }
    const resumed = text === undefined ? undefined : parseJournal(text, id, path);
    let fh: FileHandle;
    try {
      // Object keys can be confidential: the journal is private to its owner.
      fh = await open(path, 'a', 0o600);
    } catch (err) {
      throw journalError(`journal ${path} cannot be opened: ${(err as Error).message}`);
    }
    const journal = new RotationJournal(path, fh);
    try {
      if (resumed === undefined) {
        await fh.truncate(0);
        await journal.append(headerLine(id, labels, now));
        if (text === undefined) await syncDirectory(dirname(path));
      } else if (resumed.validLength < Buffer.byteLength(text ?? '')) {
        await fh.truncate(resumed.validLength);
        await fh.datasync();
      }
    } catch (err) {
      await fh.close();
      throw err instanceof ClientError ? err : journalError(`journal ${path}: ${(err as Error).message}`);
    }
    return { journal, resumed };
  }

  /** Records a finished object; resolves once the line is on disk. */
  record(key: string, outcome: JournalOutcome, kmsKeyId?: string): Promise<void> {
    return this.append(`${JSON.stringify({ key, outcome, ...(kmsKeyId === undefined ? {} : { kmsKeyId }) })}\n`);
  }

  /** Marks the rotation complete; a later run with this journal has nothing left to do. */
  complete(record: CompletionRecord): Promise<void> {
    return this.append(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private append(line: string): Promise<void> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const done = new Promise<void>((resolve, reject) => this.queue.push({ line, resolve, reject }));
    if (!this.draining) {
      this.draining = true;
      void this.drain();
    }
    return done;
  }

  /** Writes what is queued, one write and one fsync per batch, until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.broken === undefined) {
        try {
          await this.fh.write(batch.map((p) => p.line).join(''));
          await this.fh.datasync();
        } catch (err) {
          // A failed write may have left part of a line: nothing more is appended after it.
          this.broken = journalError(`writing journal ${this.path}: ${(err as Error).message}`);
        }
      }
      for (const p of batch) {
        if (this.broken === undefined) p.resolve();
        else p.reject(this.broken);
      }
    }
    this.draining = false;
  }
}

