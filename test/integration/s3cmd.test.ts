/**
 * s3cmd (Debian's 2.3.0) against the server over HTTPS, trusting the server's CA: mb, put of a
 * 20 MiB file in 5 MiB parts under SSE-S3 and under SSE-KMS (a key behind an alias), get, ls,
 * sync up and down, del and rb. The SDK checks how the objects are stored; the server's request
 * log shows that the puts really went multipart.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  bucketName,
  expectS3Error,
  formatRequests,
  run,
  s3Client,
  startServer,
  waitForRequests,
  type RequestRecord,
  type TestServer,
} from './harness.js';
import { pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import { MiB, assertSameTree, clientSuite, isolatedEnv, missingCommand } from './fixtures/clients.js';

const ALIAS = 's3cmd-test';

clientSuite('s3cmd over https', missingCommand('s3cmd', 's3cmd'), () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let config: string;
  let kmsKeyArn: string;
  const bucket = bucketName('s3cmd');
  const large = pseudoRandomBytes(20 * MiB, 71);

  before(async () => {
    server = await startServer({ requestLog: true, extraArgs: ['--kms-alias', ALIAS] });
    s3 = s3Client(server);
    const arn = new RegExp(`KMS key alias/${ALIAS} \\(created\\): (arn:aws:kms:\\S+)`).exec(server.output())?.[1];
    assert.ok(arn !== undefined, `no KMS key ARN in the server's output:\n${server.output()}`);
    kmsKeyArn = arn;
    work = mkdtempSync(join(tmpdir(), 'strongbox-s3cmd-'));
    writeFileSync(join(work, 'large.bin'), large);
    // Path style (host_bucket without %(bucket)s), SigV4, certificates checked against the server's CA only.
    const port = new URL(server.url).port;
    config = join(work, 's3cfg');
    writeFileSync(
      config,
      [
        '[default]',
        `access_key = ${server.root.accessKeyId}`,
        `secret_key = ${server.root.secretAccessKey}`,
        `host_base = 127.0.0.1:${port}`,
        `host_bucket = 127.0.0.1:${port}`,
        'use_https = True',
        `ca_certs_file = ${server.caFile ?? ''}`,
        'check_ssl_certificate = True',
        'check_ssl_hostname = True',
        'signature_v2 = False',
        'bucket_location = us-east-1',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  });
  after(async () => {
    s3?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
    await server?.stop();
  });

  const s3cmd = async (...args: string[]): Promise<string> => {
    const r = await run('s3cmd', ['-c', config, ...args], { env: isolatedEnv(work), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `s3cmd ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const head = (Key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
  const count = (match: (r: RequestRecord) => boolean) => server.requests().filter(match).length;
  const is = (op: string, status = 200) => (r: RequestRecord) => r.op === op && r.status === status && r.bucket === bucket;

  /** Upload `large` with s3cmd's multipart (5 MiB parts: 4) and check the parts in the request log. */
  const multipartPut = async (key: string, sseArgs: readonly string[]) => {
    const completed = count(is('CompleteMultipartUpload'));
    const parts = count(is('UploadPart'));
    const out = await s3cmd('put', '--multipart-chunk-size-mb=5', ...sseArgs, join(work, 'large.bin'), `s3://${bucket}/${key}`);
    assert.match(out, new RegExp(`upload: .* -> 's3://${bucket}/${key}'`));
    await waitForRequests(server, is('CompleteMultipartUpload'), completed + 1);
    assert.equal(count(is('UploadPart')) - parts, 4, `four parts of 5 MiB were uploaded:\n${formatRequests(server.requests())}`);
  };

  it('s3cmd mb creates the bucket and ls lists it', async () => {
    assert.match(await s3cmd('mb', `s3://${bucket}`), new RegExp(`Bucket 's3://${bucket}/' created`));
    assert.match(await s3cmd('ls'), new RegExp(`\\ss3://${bucket}$`, 'm'));
  });

  it('s3cmd put --server-side-encryption uploads 20 MiB in parts, stored with SSE-S3', async () => {
    await multipartPut('sse-s3/large.bin', ['--server-side-encryption']);
    const h = await head('sse-s3/large.bin');
    assert.equal(h.ServerSideEncryption, 'AES256');
    assert.equal(h.SSEKMSKeyId, undefined);
    assert.equal(h.ContentLength, large.length);
    assert.match(h.ETag ?? '', /-4"$/, 'a multipart ETag of four parts');
  });

  it('s3cmd put --server-side-encryption-kms-id alias/… uploads in parts under that KMS key', async () => {
    await multipartPut('sse-kms/large.bin', [`--server-side-encryption-kms-id=alias/${ALIAS}`]);
    const h = await head('sse-kms/large.bin');
    assert.equal(h.ServerSideEncryption, 'aws:kms');
    assert.equal(h.SSEKMSKeyId, kmsKeyArn, 'the key ARN, whatever form the request named it by');
    assert.equal(h.ContentLength, large.length);
  });

  it('s3cmd get brings both objects back byte for byte', async () => {
    for (const key of ['sse-s3/large.bin', 'sse-kms/large.bin']) {
      const local = join(work, `${key.replace('/', '-')}.out`);
      await s3cmd('get', `s3://${bucket}/${key}`, local);
      assert.equal(sha256(readFileSync(local)), sha256(large), key);
      rmSync(local);
    }
    await waitForRequests(server, is('GetObject'), 2);
  });

  it('s3cmd ls shows sizes, prefixes and, with -r, every object', async () => {
    const top = await s3cmd('ls', `s3://${bucket}/`);
    assert.match(top, new RegExp(`DIR\\s+s3://${bucket}/sse-s3/`));
    assert.match(top, new RegExp(`DIR\\s+s3://${bucket}/sse-kms/`));
    const all = await s3cmd('ls', '-r', `s3://${bucket}`);
    const lines = all.trim().split('\n');
    assert.equal(lines.length, 2, all);
    for (const line of lines) assert.match(line, new RegExp(`\\s${large.length}\\s+s3://${bucket}/sse-(s3|kms)/large\\.bin$`));
  });

  it('s3cmd sync uploads a tree, then nothing, then only what changed, removes, and syncs down', async () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'sub', 'deeper'), { recursive: true });
    const files: Record<string, string> = { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/deeper/c d.txt': 'charlie', 'sub/\u00fcml.txt': 'umlaut' };
    for (const [p, c] of Object.entries(files)) writeFileSync(join(tree, p), c);
    const uploads = (out: string) => (out.match(/^upload: /gm) ?? []).length;

    const first = await s3cmd('sync', `${tree}/`, `s3://${bucket}/tree/`);
    assert.equal(uploads(first), 4, first);
    // s3cmd compares sizes and MD5s: an SSE-S3 object's ETag is its MD5, as on Amazon.
    const again = await s3cmd('sync', `${tree}/`, `s3://${bucket}/tree/`);
    assert.equal(uploads(again), 0, `nothing changed:\n${again}`);
    writeFileSync(join(tree, 'a.txt'), 'alpha, longer now');
    const changed = await s3cmd('sync', `${tree}/`, `s3://${bucket}/tree/`);
    assert.equal(uploads(changed), 1, changed);
    unlinkSync(join(tree, 'sub', 'b.txt'));
    const removed = await s3cmd('sync', '--delete-removed', `${tree}/`, `s3://${bucket}/tree/`);
    assert.match(removed, new RegExp(`delete: 's3://${bucket}/tree/sub/b\\.txt'`));
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tree/' }))).Contents?.map((c) => c.Key);
    assert.deepEqual(keys?.sort(), ['tree/a.txt', 'tree/sub/deeper/c d.txt', 'tree/sub/\u00fcml.txt'].sort());

    const down = join(work, 'down');
    await s3cmd('sync', `s3://${bucket}/tree/`, `${down}/`);
    await assertSameTree(down, tree);
  });

  it('s3cmd del removes one object and, with --recursive, a prefix; rb removes the bucket', async () => {
    assert.match(await s3cmd('del', `s3://${bucket}/sse-s3/large.bin`), /delete: /);
    await expectS3Error(head('sse-s3/large.bin'), 'NotFound', 404);
    const out = await s3cmd('del', '--recursive', '--force', `s3://${bucket}/`);
    assert.equal((out.match(/^delete: /gm) ?? []).length, 4, out);
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 0);
    await s3cmd('rb', `s3://${bucket}`);
    assert.doesNotMatch(await s3cmd('ls'), new RegExp(bucket));
    await waitForRequests(server, (r) => r.op === 'DeleteBucket' && r.status === 204);
  });

  it('the server answered every s3cmd request without an error', () => {
    // The HEAD after `del` is the test's own, expected 404.
    const failed = server.requests().filter((r) => r.status >= 400 && !(r.op === 'HeadObject' && r.status === 404));
    assert.deepEqual(failed, [], formatRequests(server.requests()));
  });
});
