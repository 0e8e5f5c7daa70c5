/**
 * Tampering with the stored ciphertext of SSE-C objects (STYLE.md item 17): a flipped byte,
 * a truncated file, packages swapped inside a blob, blobs swapped between objects. A GET must
 * never hand out altered bytes or a short body as a complete response: it answers 500 before
 * the body when the first package is bad, and otherwise stops the body early (the client sees
 * an error). Ranges over undamaged packages still work. The server logs the corruption.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, rename, truncate } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bodyBytes, bucketName, fileSize, s3Client, startServer, type TestServer } from './harness.js';
import { pseudoRandomBytes } from './fixtures/checksums.js';
import {
  assertFailedRead,
  errorField,
  makeKey,
  newBlobsOf,
  sdkSse,
  sseHeaders,
  signedPartialRequest,
  type PartialResponse,
  type SseKey,
} from './fixtures/sse-c.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Envelope packages (DESIGN.md): 64 KiB of plaintext, sealed with a 16-byte GCM tag. */
const PKG = 64 * KiB;
const TAG = 16;
const sealedSize = (n: number) => n + TAG * Math.max(1, Math.ceil(n / PKG));

const K = makeKey('tamper');

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = (b[0] ?? 0) ^ 0x20;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Swap `len` bytes at `a` and at `b` inside one file. */
async function swapRegions(path: string, a: number, b: number, len: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const x = Buffer.alloc(len);
    const y = Buffer.alloc(len);
    await fh.read(x, 0, len, a);
    await fh.read(y, 0, len, b);
    await fh.write(y, 0, len, a);
    await fh.write(x, 0, len, b);
  } finally {
    await fh.close();
  }
}

describe('SSE-C tampering with stored ciphertext', () => {
  let server: TestServer;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    server = await startServer();
    s3 = s3Client(server);
    bucket = bucketName('tamper');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  /** PUT an SSE-C object and return its one blob file and the ciphertext offset of package 0. */
  const putOne = async (key: string, body: Buffer, sse: SseKey = K) => {
    const files = await newBlobsOf(server, () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...sdkSse(sse) })));
    assert.equal(files.length, 1, `${key}: one blob file expected, got ${files.join(', ')}`);
    const file = files[0] ?? '';
    const size = await fileSize(file);
    assert.ok(size >= sealedSize(body.length), `${key}: the blob (${size} bytes) holds at least the sealed packages`);
    assert.notEqual(size, body.length, `${key}: the blob is not the bare plaintext`);
    // Whatever header the format has sits before the packages; the packages end the file.
    const header = size - sealedSize(body.length);
    return { file, size, header };
  };
  const get = (key: string, headers: Record<string, string> = {}): Promise<PartialResponse> =>
    signedPartialRequest(server, server.root, { method: 'GET', path: `/${bucket}/${key}`, headers: { ...sseHeaders(K), ...headers } });
  const sdkRead = async (key: string): Promise<{ err: unknown; length: number | undefined }> => {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...sdkSse(K) }));
      return { err: undefined, length: (await bodyBytes(res.Body)).length };
    } catch (err) {
      return { err, length: undefined };
    }
  };
  const assertRangeOk = async (key: string, plain: Buffer, from: number, to: number) => {
    const res = await get(key, { range: `bytes=${from}-${to}` });
    assert.equal(res.status, 206, `range ${from}-${to} over undamaged packages: ${res.status} ${res.body.toString('utf8', 0, 300)}`);
    assert.ok(res.complete, `range ${from}-${to} complete`);
    assert.ok(res.body.equals(plain.subarray(from, to + 1)), `range ${from}-${to} bytes`);
  };
  /** Where the server output stands now, so a later check sees only what came after. */
  const logMark = () => server.output().length;
  const assertLoggedCorruption = (what: string, mark: number) =>
    assert.match(server.output().slice(mark), /corrupt/i, `${what}: the server log mentions the corruption`);

  it('a flipped byte in the first package: 500 InternalError before any body; restored, the object reads again', async () => {
    const plain = pseudoRandomBytes(MiB + 5, 1);
    const { file, header } = await putOne('flip-first', plain);
    const at = header + 1000;
    await flipByte(file, at);
    const mark = logMark();
    const res = await get('flip-first');
    assert.equal(res.status, 500, `status ${res.status}, ${res.body.length} bytes`);
    assert.equal(errorField(res.body.toString('utf8'), 'Code'), 'InternalError', res.body.toString('utf8', 0, 500));
    assert.ok(res.complete, 'the 500 is a complete XML error response');
    const sdk = await sdkRead('flip-first');
    assert.ok(sdk.err !== undefined, 'the SDK sees an error');
    assert.equal((sdk.err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 500);
    assertLoggedCorruption('first package', mark);
    // A range that avoids package 0 is unaffected.
    await assertRangeOk('flip-first', plain, PKG, 3 * PKG + 10);
    await flipByte(file, at);
    const again = await get('flip-first');
    assert.equal(again.status, 200);
    assert.ok(again.complete && again.body.equals(plain), 'the undamaged object reads completely');
  });

  it('a flipped byte near the end: the response starts but stops before the end; the delivered bytes are plaintext', async () => {
    const plain = pseudoRandomBytes(MiB + 5, 2);
    const { file, header } = await putOne('flip-end', plain);
    // Package 15 of 17 (the last full one): 15 good packages precede it.
    await flipByte(file, header + 15 * (PKG + TAG) + 100);
    const mark = logMark();
    const res = await get('flip-end');
    assert.equal(res.status, 200, `the damage is far from the start, so the response has begun: ${res.status}`);
    assertFailedRead(res, plain, 'flip near the end');
    const sdk = await sdkRead('flip-end');
    assert.ok(sdk.err !== undefined, `the SDK must see an error, it got ${sdk.length} bytes as a complete body`);
    assertLoggedCorruption('late package', mark);
    await assertRangeOk('flip-end', plain, 0, 15 * PKG - 1);
    await assertRangeOk('flip-end', plain, 16 * PKG, plain.length - 1);
    assertFailedRead(await get('flip-end', { range: `bytes=${15 * PKG + 5}-${15 * PKG + 5}` }), plain.subarray(15 * PKG + 5, 15 * PKG + 6), 'range in the damaged package');
  });

  it('a blob truncated by one byte: the GET fails, never a short body presented as complete', async () => {
    const plain = pseudoRandomBytes(MiB + 5, 3);
    const { file, size } = await putOne('trunc-1', plain);
    await truncate(file, size - 1);
    const mark = logMark();
    assertFailedRead(await get('trunc-1'), plain, 'truncated by 1 byte');
    const sdk = await sdkRead('trunc-1');
    assert.ok(sdk.err !== undefined, `the SDK must see an error, it got ${sdk.length} bytes`);
    assertFailedRead(await get('trunc-1', { range: 'bytes=-1' }), plain.subarray(-1), 'last byte of a truncated blob');
    assertLoggedCorruption('truncated', mark);
    await assertRangeOk('trunc-1', plain, 0, 2 * PKG);
  });

  it('a blob cut at a package boundary (the final package dropped) is detected', async () => {
    const plain = pseudoRandomBytes(MiB + 5, 4);
    const { file, header } = await putOne('trunc-pkg', plain);
    await truncate(file, header + 16 * (PKG + TAG));
    assertFailedRead(await get('trunc-pkg'), plain, 'final package dropped');
    assertFailedRead(await get('trunc-pkg', { range: `bytes=${MiB}-${MiB + 4}` }), plain.subarray(MiB), 'range in the dropped package');
  });

  it('two packages swapped inside a blob are detected', async () => {
    const plain = pseudoRandomBytes(MiB + 5, 5);
    const { file, header } = await putOne('reorder', plain);
    await swapRegions(file, header + 3 * (PKG + TAG), header + 4 * (PKG + TAG), PKG + TAG);
    assertFailedRead(await get('reorder'), plain, 'packages 3 and 4 swapped');
    assertFailedRead(await get('reorder', { range: `bytes=${3 * PKG}-${3 * PKG + 9}` }), plain.subarray(3 * PKG, 3 * PKG + 10), 'range in a moved package');
    await assertRangeOk('reorder', plain, 0, 3 * PKG - 1);
  });

  it('the blobs of two objects of the same size under the same key, swapped, are detected', async () => {
    const x = pseudoRandomBytes(MiB + 5, 6);
    const y = pseudoRandomBytes(MiB + 5, 7);
    const fx = (await putOne('swap-x', x)).file;
    const fy = (await putOne('swap-y', y)).file;
    await rename(fx, `${fx}.swap`);
    await rename(fy, fx);
    await rename(`${fx}.swap`, fy);
    const mark = logMark();
    const rx = await get('swap-x');
    assertFailedRead(rx, x, 'x with the blob of y');
    assert.ok(!rx.body.subarray(0, 1000).equals(y.subarray(0, 1000)) || rx.body.length === 0, 'never the other object\'s plaintext');
    const ry = await get('swap-y');
    assertFailedRead(ry, y, 'y with the blob of x');
    assert.ok(!ry.body.subarray(0, 1000).equals(x.subarray(0, 1000)) || ry.body.length === 0, 'never the other object\'s plaintext');
    assertLoggedCorruption('swapped blobs', mark);
  });

  it('a multipart object with a damaged second part: part 1 still reads, the whole GET stops early', async () => {
    const parts = [pseudoRandomBytes(5 * MiB + 1, 8), pseudoRandomBytes(300 * KiB + 7, 9)];
    const whole = Buffer.concat(parts);
    const key = 'mp-damaged';
    const files = await newBlobsOf(server, async () => {
      const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sdkSse(K) }))).UploadId ?? '';
      const done = [];
      for (const [i, p] of parts.entries()) {
        const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: i + 1, Body: p, ...sdkSse(K) }));
        done.push({ PartNumber: i + 1, ETag: r.ETag ?? '' });
      }
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id, MultipartUpload: { Parts: done } }));
    });
    const p2 = parts[1] ?? Buffer.alloc(0);
    const sizes = await Promise.all(files.map(fileSize));
    const second = files.filter((_, i) => (sizes[i] ?? 0) < 1 * MiB);
    assert.equal(second.length, 1, `one blob of part 2 among ${files.join(', ')} (sizes ${sizes.join(', ')})`);
    const file2 = second[0] ?? '';
    const header2 = (await fileSize(file2)) - sealedSize(p2.length);
    await flipByte(file2, header2 + 2 * (PKG + TAG) + 7);
    const res = await get(key);
    assert.equal(res.status, 200, 'part 1 is intact, so the response starts');
    assertFailedRead(res, whole, 'damaged part 2');
    const p1 = await signedPartialRequest(server, server.root, {
      method: 'GET',
      path: `/${bucket}/${key}`,
      query: [['partNumber', '1']],
      headers: sseHeaders(K),
    });
    assert.equal(p1.status, 206);
    assert.ok(p1.complete && p1.body.equals(parts[0] ?? Buffer.alloc(0)), 'part 1 reads completely');
    const start2 = (parts[0]?.length ?? 0);
    await assertRangeOk(key, whole, start2 - 10, start2 + 2 * PKG - 1);
    assertFailedRead(await get(key, { range: `bytes=${start2 + 2 * PKG}-${start2 + 2 * PKG + 99}` }), whole.subarray(start2 + 2 * PKG), 'range in the damaged package of part 2');
  });
});
