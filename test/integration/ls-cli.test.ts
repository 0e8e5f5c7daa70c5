/**
 * `strongbox ls` end to end (issue 5): objects stored plain, with SSE-S3, with SSE-KMS (a
 * built-in key behind alias/testkey-1) and with SSE-C under two keys; the listing names each
 * protection and, given keys, the one that opens each SSE-C object, in key order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { MAIN_JS, clientEnv, run, s3Client, startServer, type TestServer } from './harness.js';

const labelKey = (label: string): Buffer => createHash('sha256').update(`strongbox ls cli: ${label}`).digest();
const sseC = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(k).digest('base64') });
const DATE = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

describe('strongbox ls', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const bucket = `ls-cli-${process.pid}`;
  const keyA = labelKey('A');
  const keyB = labelKey('B');
  let fileA: string;

  const ls = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [MAIN_JS, 'ls', ...args, '--endpoint', server.url], { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
  const ok = async (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = await ls(args, extraEnv);
    assert.equal(r.code, 0, `ls ${args.join(' ')} failed:\n${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout.split('\n').filter((l) => l !== '');
  };
  /** The line of `name`, split into its five columns. */
  const columns = (lines: readonly string[], name: string): string[] => {
    const line = lines.find((l) => l.endsWith(`\t${name}`));
    assert.ok(line !== undefined, `no line for ${name}:\n${lines.join('\n')}`);
    const cols = line.split('\t');
    assert.equal(cols.length, 5, line);
    assert.match(cols[0]!, new RegExp(`^${DATE}$`));
    return cols;
  };

  before(async () => {
    // Plain objects need a server whose default is none; SSE-KMS needs TLS.
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1', '--default-encryption', 'none'] });
    s3 = s3Client(server);
    work = mkdtempSync(join(tmpdir(), 'sb-ls-cli-'));
    env = { ...clientEnv(server, server.root), STRONGBOX_KEYRING: join(work, 'keyring.json'), STRONGBOX_KEYRING_PASSPHRASE: 'ls cli passphrase' };
    fileA = join(work, 'a.key');
    await writeFile(fileA, keyA);
    // Key B also lives in the keyring, under the name "bee".
    const imported = await run(process.execPath, [MAIN_JS, 'key', 'import', 'bee', 'env:KEY_B'], { env: { ...env, KEY_B: keyB.toString('hex') }, timeoutMs: 60_000 });
    assert.equal(imported.code, 0, imported.stderr);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = (Key: string, size: number, extra: Partial<PutObjectCommandInput> = {}) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.alloc(size, 1), ...extra }));
    await put('top.txt', 3);
    await put('dir/1-plain.txt', 10);
    await put('dir/2-sse-s3.txt', 20, { ServerSideEncryption: 'AES256' });
    await put('dir/3-sse-kms.txt', 30, { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/testkey-1' });
    await put('dir/4-sse-c-a.txt', 40, sseC(keyA));
    await put('dir/5-sse-c-b.txt', 50, sseC(keyB));
    await put('dir/sub/6-deep.txt', 60, sseC(keyB));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('lists the buckets without an argument', async () => {
    const lines = await ok([]);
    assert.ok(lines.some((l) => new RegExp(`^${DATE}\\t${bucket}$`).test(l)), lines.join('\n'));
  });

  it('names the protection of each object and the given key that opens each SSE-C one', async () => {
    const lines = await ok([`s3://${bucket}/dir/`, '--sse-c', `@${fileA}`, '--sse-c', 'bee']);
    assert.deepEqual(columns(lines, '1-plain.txt').slice(1), ['10', 'none', '-', '1-plain.txt']);
    assert.deepEqual(columns(lines, '2-sse-s3.txt').slice(1), ['20', 'SSE-S3', '-', '2-sse-s3.txt']);
    const kms = columns(lines, '3-sse-kms.txt');
    assert.match(kms[2]!, /^SSE-KMS arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/);
    assert.equal(kms[3], '-');
    assert.deepEqual(columns(lines, '4-sse-c-a.txt').slice(1), ['40', 'SSE-C', `key: @${fileA}`, '4-sse-c-a.txt']);
    assert.deepEqual(columns(lines, '5-sse-c-b.txt').slice(1), ['50', 'SSE-C', 'key: bee', '5-sse-c-b.txt']);
    // Folders below the prefix, and objects in key order.
    assert.deepEqual(lines, [
      '\t\tPRE\t\tsub/',
      ...['1-plain.txt', '2-sse-s3.txt', '3-sse-kms.txt', '4-sse-c-a.txt', '5-sse-c-b.txt'].map((n) => lines.find((l) => l.endsWith(`\t${n}`))),
    ]);
    for (const k of [keyA, keyB]) assert.ok(!lines.join('\n').includes(k.toString('hex')) && !lines.join('\n').includes(k.toString('base64')));
  });

  it('shows SSE-C without keys, and says when none of the given keys opens an object', async () => {
    const none = await ok([`s3://${bucket}/dir/`]);
    assert.deepEqual(columns(none, '4-sse-c-a.txt').slice(2, 4), ['SSE-C', 'key: ?']);
    assert.deepEqual(columns(none, '5-sse-c-b.txt').slice(2, 4), ['SSE-C', 'key: ?']);
    const onlyA = await ok([`s3://${bucket}/dir`, '--recursive', '--sse-c', 'env:KEY_A'], { KEY_A: keyA.toString('base64') });
    assert.deepEqual(columns(onlyA, 'dir/4-sse-c-a.txt').slice(2, 4), ['SSE-C', 'key: env:KEY_A']);
    assert.deepEqual(columns(onlyA, 'dir/5-sse-c-b.txt').slice(2, 4), ['SSE-C', 'key: none of the given keys']);
    assert.deepEqual(columns(onlyA, 'dir/sub/6-deep.txt').slice(2, 4), ['SSE-C', 'key: none of the given keys']);
    assert.ok(!onlyA.some((l) => l.includes('\tPRE\t')), '--recursive shows no folders');
    assert.equal(onlyA.length, 6);
  });

  it('lists folders at the top of a bucket, and fails clearly for a missing bucket', async () => {
    const top = await ok([`s3://${bucket}`]);
    assert.deepEqual(top[0], '\t\tPRE\t\tdir/');
    assert.deepEqual(columns(top, 'top.txt').slice(1), ['3', 'none', '-', 'top.txt']);
    assert.equal(top.length, 2);
    // A prefix without its slash shows the folder it names.
    assert.deepEqual(await ok([`s3://${bucket}/dir`]), ['\t\tPRE\t\tdir/']);
    const missing = await ls([`s3://${bucket}-missing/`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^strongbox: listing s3:\/\/ls-cli-\d+-missing\/: NoSuchBucket \(404\)$/m);
  });
});
