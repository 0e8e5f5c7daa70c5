/**
 * s3fs-fuse (Debian's 1.90, libcurl with GnuTLS) mounts a bucket over HTTPS, trusting the
 * server's CA through CURL_CA_BUNDLE, with SSE-C (`use_sse=custom:KEYFILE`): a 20 MiB file is
 * written and read back through the mount, an object put with the SDK is read through it, and
 * files are listed, renamed (a copy with the key on both sides) and deleted. The SDK checks that
 * the objects are SSE-C; the server's request log shows the paths taken.
 *
 * `nomultipart`: s3fs before 1.92 leaves the SSE-C headers off UploadPart (s3fs-fuse issue
 * 2085, fixed by pull request 2088), which Amazon, and Strongbox like it, refuse with
 * `400 InvalidRequest` "The multipart upload initiate requested encryption. Subsequent part
 * requests must include the appropriate encryption parameters." With SSE-C, Debian 12's s3fs
 * can only write files in single PUTs.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  bodyBytes,
  bucketName,
  formatRequests,
  run,
  s3Client,
  startServer,
  waitForRequests,
  type RequestRecord,
  type TestServer,
} from './harness.js';
import { pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import { MiB, clientSuite, isolatedEnv, missingCommand, skipOrFail } from './fixtures/clients.js';
import { makeKey, sdkSse } from './fixtures/sse-c.js';

/** Output of a mount that failed because this machine gives no FUSE access (container, no permission). */
const NO_FUSE = /fuse(rmount)?: .*(not permitted|[Pp]ermission denied|device not found|failed to open \/dev\/fuse)/;

const isMounted = (dir: string): boolean =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === dir);

interface Mount {
  /** Unmount (fusermount -u, else umount), then make sure s3fs has exited; safe to call twice. */
  unmount(): Promise<void>;
  output(): string;
}

/**
 * Run `s3fs BUCKET DIR -f -o OPTIONS` in the foreground, as our child, and wait until DIR is
 * mounted. Resolves `{ unavailable }` when FUSE cannot be used here.
 */
async function mountS3fs(bucket: string, dir: string, options: readonly string[], env: NodeJS.ProcessEnv): Promise<Mount | { unavailable: string }> {
  const child = spawn('s3fs', [bucket, dir, '-f', '-o', options.join(',')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // If the test process dies first, leave neither a mount nor an s3fs behind.
  const reap = () => {
    child.kill('SIGKILL');
    if (isMounted(dir)) spawnSync('umount', ['-l', dir]);
  };
  process.once('exit', reap);
  let done = false;
  const unmount = async () => {
    if (done) return;
    done = true;
    const tried: string[] = [];
    for (const [cmd, ...args] of [['fusermount', '-u', dir], ['fusermount3', '-u', dir], ['umount', dir]] as const) {
      if (!isMounted(dir)) break;
      const r = await run(cmd, args, { timeoutMs: 10_000 }).catch((err: unknown) => ({ code: -1, stdout: '', stderr: String(err) }));
      tried.push(`${cmd}: ${r.code} ${r.stderr.trim()}`);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    process.off('exit', reap);
    if (isMounted(dir)) {
      spawnSync('umount', ['-l', dir]);
      assert.fail(`could not unmount ${dir}:\n${tried.join('\n')}`);
    }
  };
  const deadline = Date.now() + 20_000;
  while (!isMounted(dir)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await unmount();
      if (NO_FUSE.test(text)) return { unavailable: `s3fs cannot mount here: ${text.trim()}` };
      assert.fail(`s3fs did not mount ${dir} (exit ${child.exitCode}, signal ${child.signalCode}):\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { unmount, output: () => text };
}

const unavailable = missingCommand('s3fs', 's3fs') ?? (existsSync('/dev/fuse') ? undefined : '/dev/fuse is missing: no FUSE on this machine');

clientSuite('s3fs over https with SSE-C', unavailable, () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let mount: Mount | undefined;
  const bucket = bucketName('s3fs');
  const key = makeKey('s3fs');
  const large = pseudoRandomBytes(20 * MiB, 91);
  const fromSdk = pseudoRandomBytes(MiB + 17, 92);

  before(async () => {
    server = await startServer({ requestLog: true });
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    work = mkdtempSync(join(tmpdir(), 'strongbox-s3fs-'));
    mkdirSync(join(work, 'mnt'));
    mkdirSync(join(work, 'home'));
    writeFileSync(join(work, 'large.bin'), large);
    // Both files must be mode 0600 or s3fs refuses them. A key line longer than 32 characters is base64.
    writeFileSync(join(work, 'passwd'), `${server.root.accessKeyId}:${server.root.secretAccessKey}\n`, { mode: 0o600 });
    writeFileSync(join(work, 'sse-c.key'), `${key.b64}\n`, { mode: 0o600 });
  });
  after(async () => {
    await mount?.unmount();
    s3?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
    await server?.stop();
  });

  const is = (op: string, ...statuses: number[]) => (r: RequestRecord) =>
    r.op === op && statuses.includes(r.status) && r.bucket === bucket;
  const count = (match: (r: RequestRecord) => boolean) => server.requests().filter(match).length;
  /** HEAD without the key: 400, as Amazon answers for an SSE-C object; with it: 200 and the algorithm. */
  const assertSseC = async (Key: string, size: number) => {
    const keyless = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key })).then(
      () => assert.fail(`${Key}: a HEAD without the key succeeded`),
      (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
    );
    assert.equal(keyless, 400, `${Key}: HEAD without the key`);
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key, ...sdkSse(key) }));
    assert.equal(h.SSECustomerAlgorithm, 'AES256', Key);
    assert.equal(h.SSECustomerKeyMD5, key.md5, Key);
    assert.equal(h.ContentLength, size, Key);
  };

  it('writes, reads, lists, renames and deletes through the mount, every object SSE-C', { timeout: 90_000 }, async (t) => {
    const mnt = join(work, 'mnt');
    const { port } = new URL(server.url);
    const options = [
      `url=https://127.0.0.1:${port}`,
      'use_path_request_style',
      `passwd_file=${join(work, 'passwd')}`,
      `use_sse=custom:${join(work, 'sse-c.key')}`,
      'nomultipart',
      'sigv4',
      'enable_content_md5',
      'dbglevel=warn',
    ];
    // s3fs hands CURL_CA_BUNDLE to libcurl as its CA file (s3fs 1.90 has no CA option of its own).
    const env = { ...isolatedEnv(join(work, 'home')), CURL_CA_BUNDLE: server.caFile ?? '' };
    const mounted = await mountS3fs(bucket, mnt, options, env);
    if ('unavailable' in mounted) {
      skipOrFail(t, mounted.unavailable);
      return;
    }
    mount = mounted;
    try {
      await t.test('a 20 MiB file written through the mount is one SSE-C PUT and reads back the same', async () => {
        const puts = count(is('PutObject', 200));
        await copyFile(join(work, 'large.bin'), join(mnt, 'large.bin'));
        await waitForRequests(server, is('PutObject', 200), puts + 1);
        assert.equal(sha256(await readFile(join(mnt, 'large.bin'))), sha256(large), 'read through the mount');
        await assertSseC('large.bin', large.length);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'large.bin', ...sdkSse(key) }));
        assert.equal(sha256(await bodyBytes(got.Body)), sha256(large), 'read with the SDK and the key');
      });

      await t.test('an object put with the SDK and the key reads through the mount', async () => {
        const gets = count(is('GetObject', 200, 206));
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'from-sdk.bin', Body: fromSdk, ...sdkSse(key) }));
        assert.ok((await readFile(join(mnt, 'from-sdk.bin'))).equals(fromSdk));
        await waitForRequests(server, is('GetObject', 200, 206), gets + 1);
      });

      await t.test('the mount lists both files with their sizes', async () => {
        assert.deepEqual((await readdir(mnt)).sort(), ['from-sdk.bin', 'large.bin']);
        assert.equal((await stat(join(mnt, 'large.bin'))).size, large.length);
        assert.equal((await stat(join(mnt, 'from-sdk.bin'))).size, fromSdk.length);
      });

      await t.test('a rename copies the object with the key on both sides', async () => {
        await rename(join(mnt, 'from-sdk.bin'), join(mnt, 'renamed.bin'));
        await waitForRequests(server, is('CopyObject', 200));
        assert.deepEqual((await readdir(mnt)).sort(), ['large.bin', 'renamed.bin']);
        await assertSseC('renamed.bin', fromSdk.length);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'renamed.bin', ...sdkSse(key) }));
        assert.ok((await bodyBytes(got.Body)).equals(fromSdk));
      });

      await t.test('deleting through the mount deletes the objects', async () => {
        const deletes = count(is('DeleteObject', 204));
        await unlink(join(mnt, 'large.bin'));
        await unlink(join(mnt, 'renamed.bin'));
        assert.deepEqual(await readdir(mnt), []);
        await waitForRequests(server, is('DeleteObject', 204), deletes + 2);
        assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 0);
      });
    } finally {
      await mounted.unmount();
    }
    assert.ok(!isMounted(mnt), 'unmounted');

    // s3fs looks names up with HEADs (404) and, for an SSE-C object, first without the key (400).
    const expected = (r: RequestRecord) =>
      r.op === 'HeadObject' && ((r.status === 404 && r.code === 'NoSuchKey') || (r.status === 400 && r.code === 'InvalidRequest'));
    const all = server.requests();
    assert.deepEqual(all.filter((r) => r.status >= 400 && !expected(r)), [], formatRequests(all));
    assert.equal(count((r) => r.op === 'UploadPart'), 0, 'single PUTs only (nomultipart)');
  });
});
