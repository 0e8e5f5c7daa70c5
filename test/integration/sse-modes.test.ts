/**
 * Every encryption mode against every other (issue 4): conversions by CopyObject between
 * none, SSE-S3, SSE-C, SSE-KMS and DSSE-KMS, and objects of every mode surviving a restart and
 * a root key rotation (with its background re-seal).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MAIN_JS, bodyBytes, bucketName, run, s3Client, startServer, type TestServer } from './harness.js';
import { md5Hex, pseudoRandomBytes } from './fixtures/checksums.js';
import { A, B, sdkCopySourceSse, sdkSse } from './fixtures/sse-c.js';

type Mode = 'none' | 'sse-s3' | 'sse-c' | 'sse-kms' | 'dsse-kms';
const MODES: readonly Mode[] = ['none', 'sse-s3', 'sse-c', 'sse-kms', 'dsse-kms'];

/** Request fields that write an object in `mode` (the server runs with --default-encryption none). */
function writeArgs(mode: Mode, key = A): Record<string, unknown> {
  switch (mode) {
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    case 'sse-c':
      return sdkSse(key);
    case 'sse-kms':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/modes' };
    case 'dsse-kms':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: 'alias/modes' };
  }
}
const readArgs = (mode: Mode, key = A): Record<string, unknown> => (mode === 'sse-c' ? sdkSse(key) : {});

/** What an answer about an object in `mode` must say. */
function assertMode(res: { ServerSideEncryption?: string | undefined; SSECustomerAlgorithm?: string | undefined; SSEKMSKeyId?: string | undefined }, mode: Mode, what: string): void {
  const want = { none: undefined, 'sse-s3': 'AES256', 'sse-c': undefined, 'sse-kms': 'aws:kms', 'dsse-kms': 'aws:kms:dsse' }[mode];
  assert.equal(res.ServerSideEncryption, want, `${what}: x-amz-server-side-encryption`);
  assert.equal(res.SSECustomerAlgorithm, mode === 'sse-c' ? 'AES256' : undefined, `${what}: SSE-C algorithm`);
  if (mode === 'sse-kms' || mode === 'dsse-kms') assert.match(res.SSEKMSKeyId ?? '', /^arn:aws:kms:us-east-1:\d{12}:key\//, `${what}: key ARN`);
  else assert.equal(res.SSEKMSKeyId, undefined, `${what}: no KMS key`);
}

async function withModesServer(dataDir: string | undefined, fn: (server: TestServer, s3: S3Client) => Promise<void>, root?: TestServer['root']): Promise<TestServer> {
  const server = await startServer({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(root === undefined ? {} : { root }),
    extraArgs: ['--default-encryption', 'none', '--kms-alias', 'modes', '--log-level', 'info'],
  });
  const s3 = s3Client(server);
  try {
    await fn(server, s3);
  } finally {
    s3.destroy();
  }
  return server;
}

describe('conversions by copy between every pair of modes', () => {
  let server: TestServer;
  let s3: S3Client;
  const bucket = bucketName('modes');
  const body = pseudoRandomBytes(150_001, 42);

  before(async () => {
    server = await startServer({ extraArgs: ['--default-encryption', 'none', '--kms-alias', 'modes'] });
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const mode of MODES) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `src-${mode}`, Body: body, ...writeArgs(mode) }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  for (const from of MODES) {
    for (const to of MODES) {
      it(`${from} → ${to}`, async () => {
        const Key = `dst-${from}-${to}`;
        // A destination SSE-C key other than the source's, so a copy that kept the source key fails.
        const copied = await s3.send(new CopyObjectCommand({
          Bucket: bucket,
          Key,
          CopySource: `${bucket}/src-${from}`,
          ...(from === 'sse-c' ? sdkCopySourceSse(A) : {}),
          ...writeArgs(to, B),
        }));
        assertMode(copied, to, 'CopyObject');
        const md5Etag = `"${md5Hex(body)}"`;
        if (to === 'none' || to === 'sse-s3') assert.equal(copied.CopyObjectResult?.ETag, md5Etag, 'plain and SSE-S3 copies have the MD5 ETag');
        else assert.notEqual(copied.CopyObjectResult?.ETag, md5Etag, 'SSE-C and KMS ETags are opaque');
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ...readArgs(to, B) }));
        assertMode(got, to, 'GetObject');
        assert.ok((await bodyBytes(got.Body)).equals(body), 'the plaintext survives the conversion');
        if (to === 'sse-c') await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key, ...sdkSse(A) })), 'only the new key opens it');
      });
    }
  }
});

describe('objects of every mode across a restart and a root key rotation', () => {
  const bucket = 'modes-restart';
  const body = pseudoRandomBytes(300_000, 7);
  const small = Buffer.from('inline-sized object');
  let dataDir: string | undefined;
  after(() => {
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const readAll = async (s3: S3Client, what: string) => {
    for (const mode of MODES) {
      for (const [name, want] of [['big', body], ['small', small]] as const) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${mode}-${name}`, ...readArgs(mode) }));
        assertMode(got, mode, `${what} ${mode}-${name}`);
        assert.ok((await bodyBytes(got.Body)).equals(want), `${what}: ${mode}-${name} reads back`);
      }
    }
  };

  it('every mode reads back after a kill and restart, and after `root-key rotate` and its re-seal', async () => {
    const first = await withModesServer(undefined, async (_server, s3) => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      for (const mode of MODES) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${mode}-big`, Body: body, ...writeArgs(mode) }));
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${mode}-small`, Body: small, ...writeArgs(mode) }));
      }
    });
    dataDir = first.dataDir;
    await first.kill();

    const second = await withModesServer(dataDir, (_server, s3) => readAll(s3, 'after a restart'), first.root);
    await second.stop();

    const rotated = await run(process.execPath, [MAIN_JS, 'root-key', 'rotate', '--data', dataDir], { timeoutMs: 30_000 });
    assert.equal(rotated.code, 0, rotated.stderr);
    const third = await withModesServer(
      dataDir,
      async (server, s3) => {
        const deadline = Date.now() + 30_000;
        while (!/root key re-seal: done/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const done = /"resealed":(\d+),"kmsKeys":(\d+)[^\n]*root key re-seal: done/.exec(server.output());
        assert.ok(done, server.output());
        assert.equal(Number(done[1]), 2, 'both SSE-S3 objects moved to the new root key version');
        assert.ok(Number(done[2]) >= 1, 'the KMS key behind alias/modes moved too');
        await readAll(s3, 'after a root key rotation');
      },
      first.root,
    );
    await third.stop();
  });
});
