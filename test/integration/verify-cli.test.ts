/**
 * `strongbox verify` end to end (issue 5): a real server over HTTPS, objects written by the JS
 * SDK and by boto3 under several SSE-C keys, SSE-S3 and SSE-KMS, and the CLI given its keys
 * as a keyring name, @FILE and env:VAR. Its output must name the key of every object, say
 * which objects no given key opens (exit status 2), and never show a key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { clientEnv, runPython, s3Client, startServer, type TestServer } from './harness.js';
import { makeKey, sdkSse, type SseKey } from './fixtures/sse-c.js';
import { BOTO3_PROLOGUE, assertNoKeyMaterial, cliEnv, importKey, shortFingerprint, strongbox, writeKeyFile, type CliResult } from './fixtures/sse-c-cli.js';

const A = makeKey('verify A');
const B = makeKey('verify B');
const C = makeKey('verify C');
const D = makeKey('verify D');
const ALL = [A, B, C, D];
const fp = shortFingerprint;

describe('strongbox verify (CLI)', () => {
  let server: TestServer;
  let s3: S3Client;
  let env: NodeJS.ProcessEnv;
  let keyB: string;
  const dir = mkdtempSync(join(tmpdir(), 'sb-verify-'));
  const bucket = `verify-${process.pid}`;
  const outputs: string[] = [];

  const verify = async (args: readonly string[]): Promise<CliResult> => {
    const r = await strongbox(env, ['verify', ...args, '--endpoint', server.url]);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const url = (key: string) => `s3://${bucket}/${key}`;

  before(async () => {
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1'] });
    s3 = s3Client(server);
    env = cliEnv(server, dir, { SB_KEY_C: C.raw.toString('base64') });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await importKey(env, dir, 'key-a', A);
    keyB = await writeKeyFile(dir, 'b.key', B);
    const put = (Key: string, key: SseKey | undefined, extra: Record<string, unknown> = {}) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.from(`body of ${Key}`), ...(key === undefined ? {} : sdkSse(key)), ...extra }));
    await put('v/a1.txt', A);
    await put('v/a2.bin', A, { ContentType: 'application/x-a2' });
    await put('v/sp ace/ünï+&.txt', A);
    await put('v/kms.txt', undefined, { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/testkey-1' });
    await put('w/d.txt', D);
    // boto3 writes the objects under B and C, one of them in parts, and an SSE-S3 one.
    const py = await runPython(
      `${BOTO3_PROLOGUE}
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(data(6 * 1024 * 1024 + 3, 1)), B, 'v/b-multipart.bin', ExtraArgs=sse('KEY_B'), Config=cfg)
s3.put_object(Bucket=B, Key='v/b1.txt', Body=b'b1', **sse('KEY_B'))
s3.put_object(Bucket=B, Key='v/c1.txt', Body=b'c1', **sse('KEY_C'))
s3.put_object(Bucket=B, Key='v/sse-s3.txt', Body=b's3', ServerSideEncryption='AES256')
print('ok')
`,
      { ...clientEnv(server, server.root), STRONGBOX_URL: server.url, BUCKET: bucket, KEY_B: B.raw.toString('hex'), KEY_C: C.raw.toString('hex') },
    );
    assert.equal(py.code, 0, `boto3 failed:\n${py.stderr}`);
  });

  after(async () => {
    s3?.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the key that opens each object (keyring name, @FILE, env:VAR), in key order; exit 0', async () => {
    const r = await verify([`s3://${bucket}/v/`, '--sse-c', 'key-a', '--sse-c', `@${keyB}`, '--sse-c', 'env:SB_KEY_C', '--concurrency', '3']);
    assert.equal(r.code, 0, `verify failed:\n${r.stderr}\n${r.stdout}`);
    const lines = r.stdout.split('\n').filter((l) => l.includes(': s3://'));
    const a = `key-a (${fp(A)})`;
    const b = `@${keyB} (${fp(B)})`;
    const c = `env:SB_KEY_C (${fp(C)})`;
    assert.deepEqual(lines, [
      `opened by ${a}: ${url('v/a1.txt')}`,
      `opened by ${a}: ${url('v/a2.bin')}`,
      `opened by ${b}: ${url('v/b-multipart.bin')}`,
      `opened by ${b}: ${url('v/b1.txt')}`,
      `opened by ${c}: ${url('v/c1.txt')}`,
      `not SSE-C (SSE-KMS ${/SSE-KMS (arn:aws:kms:\S+:key\/\S+)\)/.exec(r.stdout)?.[1]}): ${url('v/kms.txt')}`,
      `opened by ${a}: ${url('v/sp ace/ünï+&.txt')}`,
      `not SSE-C (SSE-S3): ${url('v/sse-s3.txt')}`,
    ]);
    assert.match(r.stdout, /^8 objects under s3:\/\/\S+\/v\/$/m);
    assert.match(r.stdout, new RegExp(`^  key-a \\(${fp(A)}\\)\\s+opens 3$`, 'm'));
    assert.match(r.stdout, /^ {2}SSE-C, opened by no given key\s+0$/m);
    assert.match(r.stdout, /^ {2}not SSE-C\s+2 \(SSE-KMS \S+ 1, SSE-S3 1\)$/m);
    assert.match(r.stdout, /^result: every SSE-C object opens with one of the given keys$/m);
  });

  it('reports the objects no given key opens and exits 2', async () => {
    const r = await verify([`s3://${bucket}/v/`, '--sse-c', 'key-a']);
    assert.equal(r.code, 2, `expected status 2:\n${r.stderr}\n${r.stdout}`);
    for (const key of ['v/b-multipart.bin', 'v/b1.txt', 'v/c1.txt']) assert.ok(r.stdout.includes(`NOT OPENED by any given key (SSE-C): ${url(key)}\n`), key);
    assert.match(r.stdout, /^ {2}SSE-C, opened by no given key\s+3$/m);
    assert.match(r.stdout, /^result: 3 SSE-C objects open with none of the given keys$/m);
    // Without a prefix the whole bucket is checked: w/d.txt is D's.
    const all = await verify([`s3://${bucket}`, '--sse-c', 'key-a', '--sse-c', `@${keyB}`, '--sse-c', 'env:SB_KEY_C', '--quiet']);
    assert.equal(all.code, 2);
    assert.equal(all.stdout, '');
  });

  it('--json: one object per line and a summary', async () => {
    const r = await verify([`s3://${bucket}/`, '--sse-c', 'key-a', '--sse-c', 'env:SB_KEY_C', '--json']);
    assert.equal(r.code, 2, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = rows.pop().summary;
    assert.deepEqual(
      rows.map((o) => [o.key, o.status, o.opener?.label ?? null]),
      [
        ['v/a1.txt', 'opened', 'key-a'],
        ['v/a2.bin', 'opened', 'key-a'],
        ['v/b-multipart.bin', 'unopened', null],
        ['v/b1.txt', 'unopened', null],
        ['v/c1.txt', 'opened', 'env:SB_KEY_C'],
        ['v/kms.txt', 'not-sse-c', null],
        ['v/sp ace/ünï+&.txt', 'opened', 'key-a'],
        ['v/sse-s3.txt', 'not-sse-c', null],
        ['w/d.txt', 'unopened', null],
      ],
    );
    assert.equal(rows[0].opener.fingerprint, fp(A));
    assert.equal(rows[0].url, url('v/a1.txt'));
    assert.deepEqual(summary.keys, [
      { label: 'key-a', fingerprint: fp(A), opens: 3 },
      { label: 'env:SB_KEY_C', fingerprint: fp(C), opens: 1 },
    ]);
    assert.equal(summary.objects, 9);
    assert.equal(summary.unopened, 3);
    assert.equal(summary.notSseC['SSE-S3'], 1);
    assert.equal(summary.errors, 0);
  });

  it('refuses bad arguments with one line and status 1', async () => {
    const same = await verify([`s3://${bucket}/v/`, '--sse-c', 'key-a', '--sse-c', `@${await writeKeyFile(dir, 'a-again.key', A)}`]);
    assert.equal(same.code, 1);
    assert.match(same.stderr, /^strongbox: --sse-c key-a and --sse-c @\S+ are the same key\n$/);
    const noKey = await verify([`s3://${bucket}/v/`]);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /--sse-c <keyref>' not specified/);
    const notUrl = await verify([`/tmp/x`, '--sse-c', 'key-a']);
    assert.equal(notUrl.code, 1);
    assert.match(notUrl.stderr, /is not an S3 URL/);
    const missing = await verify([`s3://no-such-bucket-${process.pid}/`, '--sse-c', 'key-a']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NoSuchBucket \(404\)/);
  });

  it('never prints key material', () => {
    assert.ok(outputs.length > 0);
    assertNoKeyMaterial(outputs.join('\n'), ALL, 'verify');
  });
});
