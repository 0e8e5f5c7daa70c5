/**
 * rclone (Debian's 1.60, Go, the AWS SDK for Go v1) against the server over HTTPS, trusting the
 * server's CA: multipart copies up and down under the default SSE-S3 and with SSE-C, check,
 * ls and delete. rclone is the Go client that issue 13 is about: its CompleteMultipartUpload
 * body is written by encoding/xml, which escapes the ETags' quotes as `&#34;`, so the request
 * log must show every Complete answered 200.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { bucketName, expectS3Error, formatRequests, run, s3Client, startServer, waitForRequests, type RequestRecord, type TestServer } from './harness.js';
import { md5B64, pseudoRandomBytes } from './fixtures/checksums.js';
import { MiB, assertSameTree, clientSuite, isolatedEnv, missingCommand } from './fixtures/clients.js';

clientSuite('rclone over https', missingCommand('rclone', 'rclone'), () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  const bucket = bucketName('rclone');
  const customerKey = randomBytes(32);

  before(async () => {
    server = await startServer({ requestLog: true });
    s3 = s3Client(server);
    work = mkdtempSync(join(tmpdir(), 'strongbox-rclone-'));
    for (const name of ['plain', 'sse-c']) {
      const dir = join(work, 'up', name, 'sub dir');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(work, 'up', name, 'large.bin'), pseudoRandomBytes(20 * MiB, name === 'plain' ? 81 : 82));
      writeFileSync(join(dir, "it's & <small>.txt"), `small ${name}\n`);
      writeFileSync(join(work, 'up', name, 'empty.txt'), '');
    }
  });
  after(async () => {
    s3?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
    await server?.stop();
  });

  /** rclone with a remote `sb:` defined in the environment (credentials and SSE-C key never on argv). */
  const rclone = async (args: readonly string[], sseC = false): Promise<string> => {
    const env = isolatedEnv(work);
    Object.assign(env, {
      RCLONE_CONFIG: join(work, 'rclone.conf'),
      RCLONE_CONFIG_SB_TYPE: 's3',
      RCLONE_CONFIG_SB_PROVIDER: 'Other',
      RCLONE_CONFIG_SB_ENDPOINT: server.url,
      RCLONE_CONFIG_SB_REGION: 'us-east-1',
      RCLONE_CONFIG_SB_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_SB_ACCESS_KEY_ID: server.root.accessKeyId,
      RCLONE_CONFIG_SB_SECRET_ACCESS_KEY: server.root.secretAccessKey,
    });
    if (sseC) {
      env['RCLONE_CONFIG_SB_SSE_CUSTOMER_ALGORITHM'] = 'AES256';
      env['RCLONE_CONFIG_SB_SSE_CUSTOMER_KEY_BASE64'] = customerKey.toString('base64');
      env['RCLONE_CONFIG_SB_SSE_CUSTOMER_KEY_MD5'] = md5B64(customerKey);
    }
    writeFileSync(join(work, 'rclone.conf'), '');
    const r = await run('rclone', ['--ca-cert', server.caFile ?? '', '--retries', '1', '--low-level-retries', '1', ...args], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `rclone ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    assert.ok(!r.stderr.includes(customerKey.toString('base64')), 'the key is never printed');
    return r.stdout;
  };
  const is = (op: string, status = 200) => (r: RequestRecord) => r.op === op && r.status === status && r.bucket === bucket;
  const count = (match: (r: RequestRecord) => boolean) => server.requests().filter(match).length;
  /** 5 MiB parts from 5 MiB on: the 20 MiB file goes up in four parts. */
  const MULTIPART = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];

  /** Copies `up/NAME` to `sb:bucket/NAME` in parts, checks the parts and Completes in the log, then copies it back. */
  const roundTrip = async (name: string, sseC: boolean) => {
    const before = { complete: count(is('CompleteMultipartUpload')), parts: count(is('UploadPart')) };
    await rclone(['mkdir', `sb:${bucket}`]);
    await rclone(['copy', ...MULTIPART, join(work, 'up', name), `sb:${bucket}/${name}`], sseC);
    await waitForRequests(server, is('CompleteMultipartUpload'), before.complete + 1);
    const log = formatRequests(server.requests());
    assert.equal(count(is('UploadPart')) - before.parts, 4, `four parts of 5 MiB were uploaded:\n${log}`);
    assert.equal(count(is('CompleteMultipartUpload', 400)), 0, `no Complete was refused (a Go ETag &#34;…&#34; not decoded is 400 InvalidPart):\n${log}`);
    await rclone(['check', join(work, 'up', name), `sb:${bucket}/${name}`], sseC);
    await rclone(['copy', `sb:${bucket}/${name}`, join(work, 'down', name)], sseC);
    await assertSameTree(join(work, 'down', name), join(work, 'up', name));
  };

  it('rclone copy uploads 20 MiB in parts (Go Complete body) under the default SSE-S3 and copies it back', async () => {
    await roundTrip('plain', false);
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'plain/large.bin' }));
    assert.equal(h.ServerSideEncryption, 'AES256');
    assert.match(h.ETag ?? '', /-4"$/, 'a multipart ETag of four parts');
    const small = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'plain/sub dir/' }));
    assert.deepEqual(small.Contents?.map((o) => o.Key), ["plain/sub dir/it's & <small>.txt"]);
  });

  it('rclone copy with an SSE-C key uploads in parts and reads back; the object opens only with that key', async () => {
    await roundTrip('sse-c', true);
    const keyless = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sse-c/large.bin' })).then(
      () => 200,
      (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode,
    );
    assert.equal(keyless, 400, 'a HEAD without the key is 400, as on Amazon');
    const h = await s3.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: 'sse-c/large.bin',
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: customerKey.toString('base64'),
        SSECustomerKeyMD5: md5B64(customerKey),
      }),
    );
    assert.equal(h.SSECustomerAlgorithm, 'AES256');
    assert.equal(h.ContentLength, 20 * MiB);
  });

  it('rclone ls lists every object with its size, and delete plus rmdirs empty the bucket', async () => {
    const lines = (await rclone(['ls', `sb:${bucket}`])).trim().split('\n').map((l) => l.trim()).sort();
    assert.deepEqual(lines, [
      '0 plain/empty.txt',
      '0 sse-c/empty.txt',
      `${20 * MiB} plain/large.bin`,
      `${20 * MiB} sse-c/large.bin`,
      "12 plain/sub dir/it's & <small>.txt",
      "12 sse-c/sub dir/it's & <small>.txt",
    ].sort());
    await rclone(['purge', `sb:${bucket}`]);
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: bucket })), 'NoSuchBucket', 404);
    const failed = server.requests().filter((r) => r.status >= 500);
    assert.deepEqual(failed, [], `no request failed on the server's side:\n${formatRequests(server.requests())}`);
  });
});
