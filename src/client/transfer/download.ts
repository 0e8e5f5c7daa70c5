/**
 * Downloads one object, resumably: ranged GETs conditioned on the ETag (If-Match) write their
 * parts at their offsets in `DST.strongbox-download`, and a journal beside it lists the parts
 * written and synced. A rerun resumes when the object still has the journal's ETag and size,
 * and starts over otherwise. Once all parts are in, the file is synced, re-read and checked
 * against the object's size and checksum, and only then renamed over DST; a file that fails
 * the check is removed, and DST is left as it was.
 */
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { ClientError, httpStatusOf, s3Error } from '../client-error.js';
import { sseCParams, type CustomerKey } from '../customer-key.js';
import { JOURNAL_FORMAT, JournalWriter, journalMatches, journalPathFor, readJournal, removeIfPresent, tempPathFor } from './download-journal.js';
import { verifyDownload, type Verification } from './download-verify.js';
import { effectivePartSize, planParts, type PartRange } from './part-plan.js';
import { forEachLimit } from '../pool.js';
import { TRANSFER_ATTEMPTS, stoppedBy, withRetries } from './retry.js';
import { formatS3Url, type S3Location } from '../s3-url.js';
import type { TransferContext } from './transfer-context.js';
import { syncDirectory } from '../../private-file.js';

/** The object got a new ETag while its parts were being fetched: the partial file is worthless. */
class ObjectChangedError extends ClientError {
  constructor(url: string) {
    super('STRONGBOX_CLIENT_S3', `${url} changed during the download (PreconditionFailed 412): run again to fetch the new version`);
  }
}

export interface DownloadResult {
  readonly size: number;
  /** Parts that an earlier, interrupted run had already written. */
  readonly resumedParts: number;
  readonly verification: Verification;
}

/** The object's HEAD (size, ETag, checksum) and the key that reads it. */
interface Opened {
  readonly head: HeadObjectCommandOutput;
  readonly key: CustomerKey | undefined;
}

/**
 * HEAD with the --sse-c key if there is one. Amazon answers 403 for another key and 400 for a
 * key given with an object that is not SSE-C (then it is read without one); without a key,
 * 400 means the object is SSE-C (HEAD answers carry no error code).
 */
async function openObject(ctx: TransferContext, src: S3Location): Promise<Opened> {
  const url = formatS3Url(src);
  const head = (key: CustomerKey | undefined) =>
    ctx.client.send(new HeadObjectCommand({ Bucket: src.bucket, Key: src.key, ChecksumMode: 'ENABLED', ...sseCParams(key) }));
  const k = ctx.sseKey;
  if (k !== undefined) {
    try {
      return { head: await head(k), key: k };
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 403) throw new ClientError('STRONGBOX_CLIENT_S3', `HEAD ${url}: Forbidden (403): the SSE-C key ${k.label} (${k.short}) does not open it, or reading it is denied`);
      if (status !== 400) throw s3Error(`HEAD ${url}`, err);
    }
  }
  try {
    return { head: await head(undefined), key: undefined };
  } catch (err) {
    if (httpStatusOf(err) !== 400) throw s3Error(`HEAD ${url}`, err);
    if (k === undefined) throw new ClientError('STRONGBOX_CLIENT_S3', `HEAD ${url}: BadRequest (400): the object is SSE-C encrypted; give its key with --sse-c`);
    // 400 with the key and without: the server refuses SSE-C keys themselves.
    throw new ClientError('STRONGBOX_CLIENT_S3', `HEAD ${url}: BadRequest (400) with and without the SSE-C key: the server refuses the key (SSE-C needs HTTPS)`);
  }
}

/** Whether `temp` is there with the object's size (it is created at full size). */
async function tempFits(temp: string, size: number): Promise<boolean> {
  try {
    return (await stat(temp)).size === size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The error of a download that stopped midway, saying that a rerun resumes it. */
function resumable(err: unknown): Error {
  const hint = 'run the same command again to resume';
  if (err instanceof ClientError) return new ClientError(err.code, `${err.message}; ${hint}`);
  return new Error(`${err instanceof Error ? err.message : String(err)}; ${hint}`, { cause: err });
}


/** GETs one part into `fh` at its offset and syncs it, retrying transient failures. */
async function fetchPart(ctx: TransferContext, src: S3Location, opened: Opened, etag: string, part: PartRange, fh: FileHandle, label: string): Promise<void> {
  const what = `GET ${formatS3Url(src)} bytes ${part.start}-${part.start + part.size - 1}`;
  await withRetries(TRANSFER_ATTEMPTS, async () => {
    ctx.signal.throwIfAborted();
    let got = 0;
    try {
      const out = await ctx.client.send(
        new GetObjectCommand({
          Bucket: src.bucket,
          Key: src.key,
          Range: `bytes=${part.start}-${part.start + part.size - 1}`,
          IfMatch: etag,
          ...sseCParams(opened.key),
        }),
        { abortSignal: ctx.signal },
      );
      for await (const chunk of out.Body as Readable as AsyncIterable<Buffer>) {
        if (got + chunk.length > part.size) throw new ClientError('STRONGBOX_CLIENT_VERIFY', `${what}: the server sent more bytes than asked for`);
        await fh.write(chunk, 0, chunk.length, part.start + got);
        got += chunk.length;
        ctx.progress.add(chunk.length, label);
      }
      if (got !== part.size) throw new ClientError('STRONGBOX_CLIENT_VERIFY', `${what}: the server sent ${got} bytes`);
      await fh.datasync();
    } catch (err) {
      ctx.progress.add(-got);
      throw stoppedBy(err, ctx.signal);
    }
  }).catch((err: unknown) => {
    if (err instanceof ClientError || (err as { $metadata?: unknown }).$metadata === undefined) throw err;
    if (httpStatusOf(err) === 412) throw new ObjectChangedError(formatS3Url(src));
    throw s3Error(what, err);
  });
}

/**
 * Downloads `src` to the local file `dst` (its folder is created). `plannedSize` is what the
 * progress total counted for it (the listed size, or 0); the HEAD's size corrects it.
 */
export async function downloadObject(ctx: TransferContext, src: S3Location, dst: string, label: string, plannedSize: number): Promise<DownloadResult> {
  const url = formatS3Url(src);
  const opened = await openObject(ctx, src);
  const size = opened.head.ContentLength;
  const etag = opened.head.ETag;
  if (size === undefined || etag === undefined) throw new ClientError('STRONGBOX_CLIENT_S3', `HEAD ${url}: the answer has no Content-Length or ETag`);
  if (size !== plannedSize) ctx.progress.grow(size - plannedSize);
  const temp = tempPathFor(dst);
  const journalPath = journalPathFor(dst);
  await mkdir(dirname(dst), { recursive: true });

  const target = { bucket: src.bucket, key: src.key, etag, size };
  const prior = await readJournal(journalPath);
  let partSize = effectivePartSize(size, ctx.partSize);
  let done: readonly number[] = [];
  if (prior !== undefined && !('invalid' in prior) && journalMatches(prior, target) && (await tempFits(temp, size))) {
    partSize = prior.partSize;
    done = prior.done;
    ctx.progress.line(`resuming ${url} (${done.length} of ${planParts(size, partSize).length} parts already here)`);
  } else {
    if (prior !== undefined) {
      const why = 'invalid' in prior ? `its journal cannot be used (${prior.invalid})` : journalMatches(prior, target) ? 'the partial file is missing' : 'the object changed since the interrupted download';
      ctx.progress.line(`starting ${url} over: ${why}`);
    }
    const fresh = await open(temp, 'w');
    try {
      await fresh.truncate(size);
    } finally {
      await fresh.close();
    }
  }
  const parts = planParts(size, partSize);
  const journal = new JournalWriter(journalPath, { format: JOURNAL_FORMAT, ...target, partSize }, done);
  await journal.write();
  const doneSet = new Set(done);
  // Parts already here leave the total rather than count as instant progress, so throughput
  // and ETA describe what is left.
  ctx.progress.grow(-parts.filter((p) => doneSet.has(p.index)).reduce((n, p) => n + p.size, 0));

  const discard = async () => {
    await removeIfPresent(temp);
    await removeIfPresent(journalPath);
  };
  const fh = await open(temp, 'r+');
  try {
    await forEachLimit(
      parts.filter((p) => !doneSet.has(p.index)),
      ctx.concurrency,
      (part) =>
        ctx.limiter.run(async () => {
          await fetchPart(ctx, src, opened, etag, part, fh, label);
          await journal.markDone(part.index);
        }),
    );
    await fh.sync();
  } catch (err) {
    // Anything but a changed object leaves the partial file and its journal for a rerun.
    if (err instanceof ObjectChangedError) {
      await discard();
      throw err;
    }
    throw resumable(err);
  } finally {
    await fh.close();
  }

  let verification: Verification;
  try {
    verification = await verifyDownload(ctx.client, src, opened.key, opened.head, temp, size);
    await rename(temp, dst);
  } catch (err) {
    await discard();
    throw err;
  }
  await removeIfPresent(journalPath);
  await syncDirectory(dirname(dst));
  return { size, resumedParts: done.length, verification };
}
