/**
 * `strongbox cp`: turns SRC and DST into a list of file transfers (walking a local folder or
 * listing an S3 prefix with --recursive), runs them with bounded concurrency, prints one line
 * per file as `aws s3 cp` does, and goes on after a failure, reporting each on stderr.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { stat } from 'node:fs/promises';
import { ClientError, usageError } from '../client-error.js';
import { downloadObject, type DownloadResult } from './download.js';
import { listObjects } from '../list.js';
import { walkFiles } from './local-files.js';
import { forEachLimit } from '../pool.js';
import { formatBytes, type Progress } from '../progress.js';
import { formatS3Url, parseS3Url } from '../s3-url.js';
import type { TransferContext } from './transfer-context.js';
import {
  directionOf,
  downloadPath,
  folderPrefix,
  joinLocal,
  recursiveDownloadPath,
  recursiveUploadTarget,
  uploadKey,
  type Direction,
} from './transfer-plan.js';
import { uploadFile } from './upload.js';

interface Copied {
  readonly bytes: number;
  readonly note: string;
}

/** One file to copy: what the result line shows, its size, and the work. */
interface Transfer {
  readonly from: string;
  readonly to: string;
  readonly size: number;
  /** Runs the copy; returns the bytes copied and a note for the result line ('' for none). */
  readonly run: (ctx: TransferContext) => Promise<Copied>;
}

interface Plan {
  readonly direction: Direction;
  readonly transfers: readonly Transfer[];
  /** Files and objects left out, with why (a warning each). */
  readonly skipped: readonly string[];
}

export interface CopyRequest {
  readonly src: string;
  readonly dst: string;
  readonly recursive: boolean;
}

export interface CopyOutcome {
  readonly copied: number;
  readonly failed: number;
  readonly skipped: number;
  /** Ctrl-C stopped the copy (files not started yet are not counted as failed). */
  readonly interrupted: boolean;
}

/** The local file's type, or undefined when it does not exist. */
async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const downloaded = (r: DownloadResult): Copied => ({
  bytes: r.size,
  note: 'sizeOnly' in r.verification ? ` (size checked only: ${r.verification.sizeOnly})` : '',
});

async function planUpload(req: CopyRequest): Promise<Plan> {
  const dst = parseS3Url(req.dst);
  const st = await statOrUndefined(req.src);
  if (st === undefined) throw usageError(`${req.src} does not exist`);
  if (!req.recursive) {
    if (st.isDirectory()) throw usageError(`${req.src} is a directory: add --recursive to copy what is in it`);
    const target = { bucket: dst.bucket, key: uploadKey(dst, req.src) };
    const src = { path: req.src, size: st.size };
    return { direction: 'upload', skipped: [], transfers: [{ from: req.src, to: formatS3Url(target), size: st.size, run: async (ctx) => (await uploadFile(ctx, src, target, req.src), { bytes: src.size, note: '' }) }] };
  }
  if (!st.isDirectory()) throw usageError(`${req.src} is not a directory: --recursive copies a folder (drop it to copy one file)`);
  const transfers: Transfer[] = [];
  const skipped: string[] = [];
  for await (const f of walkFiles(req.src)) {
    if ('skipped' in f) {
      skipped.push(`skipping ${f.skipped}: ${f.reason}`);
      continue;
    }
    const target = recursiveUploadTarget(dst, f.rel);
    const from = joinLocal(req.src, f.rel);
    transfers.push({ from, to: formatS3Url(target), size: f.size, run: async (ctx) => (await uploadFile(ctx, f, target, f.rel), { bytes: f.size, note: '' }) });
  }
  return { direction: 'upload', transfers, skipped };
}

async function planDownload(req: CopyRequest, client: S3Client): Promise<Plan> {
  const src = parseS3Url(req.src);
  const st = await statOrUndefined(req.dst);
  if (!req.recursive) {
    const to = downloadPath(req.dst, st?.isDirectory() === true, src);
    // The size joins the bar's total once the HEAD answers; the plan needs no request.
    return { direction: 'download', skipped: [], transfers: [{ from: req.src, to, size: 0, run: async (ctx) => downloaded(await downloadObject(ctx, src, to, to, 0)) }] };
  }
  if (st !== undefined && !st.isDirectory()) throw usageError(`${req.dst} is not a directory: --recursive downloads into a folder`);
  const prefix = src.key === '' ? '' : folderPrefix(src);
  const transfers: Transfer[] = [];
  const skipped: string[] = [];
  for await (const entry of listObjects(client, src.bucket, prefix)) {
    if (entry.type !== 'object') continue;
    const loc = { bucket: src.bucket, key: entry.key };
    const to = recursiveDownloadPath(req.dst, prefix, entry.key);
    if (typeof to !== 'string') {
      // Folder markers ("dir/", size 0) are how consoles show empty folders: nothing to say.
      if (!entry.key.endsWith('/')) skipped.push(`skipping ${formatS3Url(loc)}: ${to.skip}`);
      continue;
    }
    transfers.push({ from: formatS3Url(loc), to, size: entry.size, run: async (ctx) => downloaded(await downloadObject(ctx, loc, to, entry.key.slice(prefix.length), entry.size)) });
  }
  return { direction: 'download', transfers, skipped };
}

/** "message [STRONGBOX_CLIENT_VERIFY]" for our errors, the message for the others (fs errors name their path). */
function describeFailure(err: unknown): string {
  if (err instanceof ClientError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Copies SRC to DST. `start` makes the context once the total size is known (the progress
 * bar needs it). Failures of single files are reported and counted, not thrown.
 */
export async function copyFiles(req: CopyRequest, client: S3Client, start: (totalBytes: number) => TransferContext): Promise<CopyOutcome> {
  const direction = directionOf(req.src, req.dst);
  const plan = direction === 'upload' ? await planUpload(req) : await planDownload(req, client);
  const ctx = start(plan.transfers.reduce((n, t) => n + t.size, 0));
  const progress: Progress = ctx.progress;
  const began = Date.now();
  let copied = 0;
  let failed = 0;
  let bytes = 0;
  try {
    for (const s of plan.skipped) progress.warn(s);
    await forEachLimit(plan.transfers, ctx.concurrency, async (t) => {
      if (ctx.signal.aborted) return;
      try {
        const done = await t.run(ctx);
        copied++;
        bytes += done.bytes;
        progress.line(`${direction}: ${t.from} to ${t.to}${done.note}`);
      } catch (err) {
        failed++;
        progress.warn(`${direction} failed: ${t.from} to ${t.to}: ${describeFailure(err)}`);
      }
    });
  } finally {
    progress.stop();
  }
  const seconds = Math.max((Date.now() - began) / 1000, 0.001);
  const verb = direction === 'upload' ? 'uploaded' : 'downloaded';
  const interrupted = ctx.signal.aborted;
  const notStarted = plan.transfers.length - copied - failed;
  const notes = [failed === 0 ? '' : `; ${failed} failed`, interrupted ? '; interrupted' : '', interrupted && notStarted > 0 ? `, ${notStarted} not started` : ''].join('');
  if (plan.transfers.length === 0) progress.line(`nothing to copy from ${req.src}`);
  else progress.line(`${verb} ${plural(copied, 'file')}, ${formatBytes(bytes)} in ${seconds.toFixed(1)} s (${formatBytes(bytes / seconds)}/s)${notes}`);
  return { copied, failed, skipped: plan.skipped.length, interrupted };
}
