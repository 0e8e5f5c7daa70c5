/**
 * The root key at start (issue 4): generated once into <data>/keys, and a data directory
 * refuses to start with a missing or different root key instead of making a new one.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { MAIN_JS, bodyBytes, run, s3Client, startServer } from './harness.js';

const serveOnce = (dataDir: string, env: NodeJS.ProcessEnv) =>
  run(process.execPath, [MAIN_JS, 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--http'], { env: { ...process.env, ...env }, timeoutMs: 30_000 });

describe('root key at start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-rootkey-it-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const keyFile = join(dataDir, 'keys', 'root-key.json');

  it('is generated at first start into <data>/keys with mode 0600, and announced', async () => {
    const server = await startServer({ http: true, dataDir });
    try {
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
      assert.match(server.output(), /new root key was generated/);
    } finally {
      await server.stop();
    }
    const again = await startServer({ http: true, dataDir });
    try {
      assert.doesNotMatch(again.output(), /new root key was generated/, 'the second start reuses it');
    } finally {
      await again.stop();
    }
  });

  it('a different root key (STRONGBOX_ROOT_KEY) or a missing key file stops the start', async () => {
    const other = await serveOnce(dataDir, { STRONGBOX_ROOT_KEY: randomBytes(32).toString('base64') });
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.match(other.stderr, /refusing to start/);

    const saved = await readFile(keyFile);
    await unlink(keyFile);
    const missing = await serveOnce(dataDir, {});
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.match(missing.stderr, /no root key .* refusing to start with a new key/);
    await assert.rejects(stat(keyFile), 'no key file was made');

    await writeFile(keyFile, saved, { mode: 0o600 });
    const back = await startServer({ http: true, dataDir });
    await back.stop();
  });
});

describe('root key rotation', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-rootkey-rot-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const rootVersions = (table: 'objects' | 'uploads'): number[] => {
    const db = new Database(join(dataDir, 'meta.db'), { readonly: true });
    try {
      return (db.prepare(`SELECT meta FROM ${table}`).pluck().all() as string[]).map((m) => Number((JSON.parse(m) as { encryption: { rootVersion?: number } }).encryption.rootVersion));
    } finally {
      db.close();
    }
  };

  it('`root-key rotate` adds a version; after a restart data keys move to it in the background, nothing lost', async () => {
    const bodies = { small: Buffer.from('small sse-s3 object'), large: randomBytes(300_000) };
    const part = randomBytes(5 * 1024 * 1024);
    const first = await startServer({ http: true, dataDir });
    let uploadId: string | undefined;
    const bucket = 'rotation';
    try {
      const s3 = s3Client(first);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      for (const [Key, Body] of Object.entries(bodies)) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ServerSideEncryption: 'AES256' }));
      uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', ServerSideEncryption: 'AES256' }))).UploadId;
      await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId: uploadId, PartNumber: 1, Body: part }));
      s3.destroy();
    } finally {
      await first.stop();
    }
    assert.deepEqual([...rootVersions('objects'), ...rootVersions('uploads')], [1, 1, 1]);

    const rotated = await run(process.execPath, [MAIN_JS, 'root-key', 'rotate', '--data', dataDir], { timeoutMs: 30_000 });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /Root key version 2 /);
    const keyFile = JSON.parse(await readFile(join(dataDir, 'keys', 'root-key.json'), 'utf8')) as { keys: unknown[] };
    assert.equal(keyFile.keys.length, 2, 'older versions stay for reading');

    const second = await startServer({ http: true, dataDir, root: first.root, extraArgs: ['--log-level', 'info'] });
    try {
      const deadline = Date.now() + 30_000;
      while (!/root key re-seal: done/.test(second.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.match(second.output(), /root key re-seal: done/);
      assert.match(second.output(), /"resealed":3/);
      assert.deepEqual([...rootVersions('objects'), ...rootVersions('uploads')], [2, 2, 2]);
      const s3 = s3Client(second);
      for (const [Key, body] of Object.entries(bodies)) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        assert.ok((await bodyBytes(got.Body)).equals(body), Key);
      }
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'mp', UploadId: uploadId }));
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: listed.Parts?.[0]?.ETag }] } }));
      const mp = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'mp' }));
      assert.equal(mp.ServerSideEncryption, 'AES256');
      assert.ok((await bodyBytes(mp.Body)).equals(part));
      s3.destroy();
    } finally {
      await second.stop();
    }
  });
});
