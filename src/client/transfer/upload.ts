/**
 * Uploads one local file: a single PutObject below the multipart threshold, else a multipart
 * upload whose parts go up in parallel and which is aborted on any failure, so nothing is left
 * behind. With a checksum algorithm, the CRC of every part is computed here from the file and
 * sent with it, and their combination as the FULL_OBJECT checksum of the whole, so the server
 * checks each part and the object; the checksums it answers are compared with ours.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { combineCrc, type CrcAlgorithm } from '../../checksum/algorithms.js';
import { ClientError, describeS3Error, s3Error } from '../client-error.js';
import { sseCParams } from '../customer-key.js';
import { digestRange } from './file-digest.js';
import { effectivePartSize, planParts, usesMultipart, type PartRange } from './part-plan.js';
import { forEachLimit } from '../pool.js';
import { TRANSFER_ATTEMPTS, stoppedBy, withRetries } from './retry.js';
import { formatS3Url, type S3Location } from '../s3-url.js';
import { bareChecksum, checksumField, checksumIn } from './transfer-checksum.js';
import type { TransferContext } from './transfer-context.js';

export interface LocalSource {
  readonly path: string;
  readonly size: number;
}

export interface UploadResult {
  /** Parts of a multipart upload; 0 for a single PutObject. */
  readonly parts: number;
}

/**
 * Sends one body read from the file range, retrying transient failures with a fresh stream;
 * bytes of a failed attempt are taken back from the progress display.
 *
 * The SDK is given a PassThrough fed by `pipe`, never the file stream itself: the SDK does not
 * listen for errors on a body, so a read failure (the file removed or truncated meanwhile)
 * would crash the process and leave the request hanging, and the multipart upload behind it
 * unaborted. Instead the failure aborts this attempt's request and is thrown as the cause.
 */
async function sendRange<T>(
  ctx: TransferContext,
  src: LocalSource,
  range: PartRange,
  label: string,
  send: (body: Readable | Buffer, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return withRetries(TRANSFER_ATTEMPTS, async () => {
    ctx.signal.throwIfAborted();
    if (range.size === 0) return send(Buffer.alloc(0), ctx.signal);
    let sent = 0;
    let readFailure: { err: unknown } | undefined;
    const attempt = new AbortController();
    const file = createReadStream(src.path, { start: range.start, end: range.start + range.size - 1, highWaterMark: 64 * 1024 });
    const body = new PassThrough({ highWaterMark: 64 * 1024 });
    file.on('data', (chunk: string | Buffer) => {
      sent += chunk.length;
      ctx.progress.add(chunk.length, label);
    });
    file.once('error', (err) => {
      readFailure = { err };
      attempt.abort(err);
    });
    file.pipe(body);
    try {
      return await send(body, AbortSignal.any([ctx.signal, attempt.signal]));
    } catch (err) {
      ctx.progress.add(-sent);
      throw readFailure === undefined ? stoppedBy(err, ctx.signal) : readFailure.err;
    } finally {
      file.destroy();
      body.destroy();
    }
  });
}

/** SDK failures become ClientErrors naming the request; our own errors pass as they are. */
const wrap = (what: string, err: unknown): unknown =>
  err instanceof ClientError || (err as { $metadata?: unknown } | null)?.$metadata === undefined ? err : s3Error(what, err);

const algorithmOf = (ctx: TransferContext): CrcAlgorithm | undefined => (ctx.checksum === 'none' ? undefined : ctx.checksum);

/** Fails when the server's answer carries a checksum other than the one we computed. */
function checkEcho(what: string, alg: CrcAlgorithm | undefined, ours: Buffer | undefined, answer: Parameters<typeof checksumIn>[0]): void {
  if (alg === undefined || ours === undefined) return;
  const echoed = checksumIn(answer);
  if (echoed === undefined || echoed.algorithm !== alg) return;
  if (bareChecksum(echoed.value) !== ours.toString('base64')) {
    throw new ClientError('STRONGBOX_CLIENT_VERIFY', `${what}: the server reports ${alg} ${echoed.value}, but the file's is ${ours.toString('base64')}`);
  }
}

async function putSingle(ctx: TransferContext, src: LocalSource, target: S3Location, label: string): Promise<UploadResult> {
  const url = formatS3Url(target);
  const alg = algorithmOf(ctx);
  const range: PartRange = { index: 0, start: 0, size: src.size };
  const answer = await ctx.limiter.run(async () => {
    const digest = alg === undefined ? undefined : await digestRange(src.path, 0, src.size, alg);
    const out = await sendRange(ctx, src, range, label, (Body, abortSignal) =>
      ctx.client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          Body,
          ContentLength: src.size,
          ...(alg === undefined || digest === undefined ? {} : checksumField(alg, digest)),
          ...sseCParams(ctx.sseKey),
        }),
        { abortSignal },
      ),
    ).catch((err: unknown) => {
      throw wrap(`PUT ${url}`, err);
    });
    return { out, digest };
  });
  checkEcho(`PUT ${url}`, alg, answer.digest, answer.out);
  return { parts: 0 };
}

async function putMultipart(ctx: TransferContext, src: LocalSource, target: S3Location, label: string): Promise<UploadResult> {
  const url = formatS3Url(target);
  const alg = algorithmOf(ctx);
  const parts = planParts(src.size, effectivePartSize(src.size, ctx.partSize));
  const where = { Bucket: target.bucket, Key: target.key };
  let uploadId: string | undefined;
  try {
    // Create and Complete are not cancelled by Ctrl-C: an upload the server created but whose
    // ID never arrived could not be aborted. Parts check the signal before they start.
    const created = await ctx.client.send(
      new CreateMultipartUploadCommand({
        ...where,
        ...(alg === undefined ? {} : { ChecksumAlgorithm: alg, ChecksumType: 'FULL_OBJECT' }),
        ...sseCParams(ctx.sseKey),
      }),
    );
    uploadId = created.UploadId;
    if (uploadId === undefined) throw new ClientError('STRONGBOX_CLIENT_S3', `CreateMultipartUpload ${url}: the answer has no UploadId`);
    const id = uploadId;
    const completed: CompletedPart[] = [];
    const digests: Buffer[] = [];
    await forEachLimit(parts, ctx.concurrency, (part) =>
      ctx.limiter.run(async () => {
        const what = `UploadPart ${part.index + 1} of ${parts.length} of ${url}`;
        const digest = alg === undefined ? undefined : await digestRange(src.path, part.start, part.size, alg);
        const out = await sendRange(ctx, src, part, label, (Body, abortSignal) =>
          ctx.client.send(
            new UploadPartCommand({
              ...where,
              UploadId: id,
              PartNumber: part.index + 1,
              Body,
              ContentLength: part.size,
              ...(alg === undefined || digest === undefined ? {} : checksumField(alg, digest)),
              ...sseCParams(ctx.sseKey),
            }),
            { abortSignal },
          ),
        ).catch((err: unknown) => {
          throw wrap(what, err);
        });
        checkEcho(what, alg, digest, out);
        completed[part.index] = { PartNumber: part.index + 1, ETag: out.ETag, ...(alg === undefined || digest === undefined ? {} : checksumField(alg, digest)) };
        if (digest !== undefined) digests[part.index] = digest;
      }),
    );
    const whole = alg === undefined ? undefined : combineAll(alg, digests, parts);
    const done = await ctx.client
      .send(
        new CompleteMultipartUploadCommand({
          ...where,
          UploadId: id,
          MultipartUpload: { Parts: completed },
          // Amazon checks the assembled size against this; servers that do not know it ignore it.
          MpuObjectSize: src.size,
          ...(alg === undefined || whole === undefined ? {} : { ChecksumType: 'FULL_OBJECT', ...checksumField(alg, whole) }),
          ...sseCParams(ctx.sseKey),
        }),
      )
      .catch((err: unknown) => {
        throw wrap(`CompleteMultipartUpload ${url}`, err);
      });
    uploadId = undefined;
    checkEcho(`CompleteMultipartUpload ${url}`, alg, whole, done);
    return { parts: parts.length };
  } catch (err) {
    if (uploadId !== undefined) throw await abort(ctx, target, uploadId, err);
    throw wrap(`CreateMultipartUpload ${url}`, err);
  }
}

/** The FULL_OBJECT CRC of the parts, combined in order. */
function combineAll(alg: CrcAlgorithm, digests: readonly Buffer[], parts: readonly PartRange[]): Buffer {
  let whole = digests[0]!;
  for (let i = 1; i < parts.length; i++) whole = combineCrc(alg, whole, digests[i]!, parts[i]!.size);
  return whole;
}

/**
 * Aborts the upload after `cause` (also after Ctrl-C: this request is not cancelled); returns
 * the error to throw, saying so if the abort failed too.
 */
async function abort(ctx: TransferContext, target: S3Location, uploadId: string, cause: unknown): Promise<unknown> {
  try {
    await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }));
    return cause;
  } catch (err) {
    const message = `${cause instanceof Error ? cause.message : String(cause)}; aborting upload ${uploadId} failed too (${describeS3Error(err)}): remove it with AbortMultipartUpload`;
    return new ClientError(cause instanceof ClientError ? cause.code : 'STRONGBOX_CLIENT_S3', message);
  }
}

/** Uploads `src` to `target`, in parts when it is big enough. */
export async function uploadFile(ctx: TransferContext, src: LocalSource, target: S3Location, label: string): Promise<UploadResult> {
  return usesMultipart(src.size, ctx.multipartThreshold) ? putMultipart(ctx, src, target, label) : putSingle(ctx, src, target, label);
}
