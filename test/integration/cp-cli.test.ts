/**
 * `strongbox cp` end to end (issue 5) against a real server: uploads and downloads over HTTPS
 * and plain HTTP (a small file and a 21 MiB multipart one, plain and SSE-C with a keyring name,
 * an @file and an env:VAR key), --recursive both ways, boto3 reading what the CLI wrote and
 * the CLI reading what boto3 wrote (a multipart SSE-C upload_file included), clear failures
 * for a wrong or missing key, resumable downloads (SIGKILL, rerun, a tampered partial file, an
 * object replaced between runs) and a failed multipart upload that leaves nothing behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, stat, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MAIN_JS, TRANSPORTS, clientEnv, expectS3Error, listFiles, run, runPython, s3Client, startServer, type TestServer } from './harness.js';
import { checksumB64, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';

const MiB = 1024 * 1024;
/** A fixed 32-byte key per label: the test does not depend on a random source of its own. */
const labelKey = (label: string): Buffer => createHash('sha256').update(`strongbox cp cli: ${label}`).digest();
const sseC = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(k).digest('base64') });
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

type Result = Awaited<ReturnType<typeof run>>;

/** A server, its bucket, a work directory with a keyring, and the CLI pointed at them. */
interface Setup {
  server: TestServer;
  s3: S3Client;
  bucket: string;
  work: string;
  env: NodeJS.ProcessEnv;
  /** Key files: `prod.key` (the keyring's "prod", exported), `file.key`, `wrong.key`. */
  keys: { prod: Buffer; file: Buffer; wrong: Buffer };
  cli(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Result>;
  ok(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Result>;
}

function useServer(opts: { http: boolean }): Setup {
  const s = {} as Setup;
  before(async () => {
    s.server = await startServer({ http: opts.http, extraArgs: opts.http ? ['--allow-insecure-sse-c'] : [] });
    s.s3 = s3Client(s.server);
    s.bucket = `cp-cli-${opts.http ? 'http' : 'https'}-${process.pid}`;
    await s.s3.send(new CreateBucketCommand({ Bucket: s.bucket }));
    s.work = mkdtempSync(join(tmpdir(), 'sb-cp-cli-'));
    s.env = {
      ...clientEnv(s.server, s.server.root),
      STRONGBOX_KEYRING: join(s.work, 'keyring.json'),
      STRONGBOX_KEYRING_PASSPHRASE: 'cp cli passphrase',
    };
    s.cli = (args, extraEnv = {}) => {
      // --endpoint goes to cp and ls; key commands take no S3 options.
      const endpoint = args[0] === 'key' ? [] : ['--endpoint', s.server.url];
      return run(process.execPath, [MAIN_JS, ...args, ...endpoint], { env: { ...s.env, ...extraEnv }, timeoutMs: 180_000 });
    };
    s.ok = async (args, extraEnv) => {
      const r = await s.cli(args, extraEnv);
      assert.equal(r.code, 0, `strongbox ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    await s.ok(['key', 'new', '--name', 'prod']);
    await s.ok(['key', 'export', 'prod', '--format', 'raw', '--out', join(s.work, 'prod.key')]);
    s.keys = { prod: await readFile(join(s.work, 'prod.key')), file: labelKey('file'), wrong: labelKey('wrong') };
    await writeFile(join(s.work, 'file.key'), s.keys.file);
    await writeFile(join(s.work, 'wrong.key'), s.keys.wrong);
  });
  after(async () => {
    s.s3?.destroy();
    await s.server?.stop();
    if (s.work !== undefined) rmSync(s.work, { recursive: true, force: true });
  });
  return s;
}

/** No key of the setup, in hex or base64, in `text`. */
function assertNoKeys(s: Setup, text: string): void {
  for (const k of Object.values(s.keys)) {
    assert.ok(!text.includes(k.toString('hex')) && !text.includes(k.toString('base64')), 'a key was printed');
  }
}

/** Temporary files of interrupted downloads left in `dir`. */
const leftovers = async (dir: string): Promise<string[]> => (await listFiles(dir)).filter((f) => f.includes('.strongbox-download'));

for (const transport of TRANSPORTS) {
  describe(`strongbox cp over ${transport.name}`, () => {
    const s = useServer({ http: transport.http });

    it('uploads and downloads a small and a multipart file, plain and SSE-C (keyring name, @file, env:VAR)', async () => {
      const dir = join(s.work, 'round-trip');
      const out = join(dir, 'out');
      await mkdir(out, { recursive: true });
      const small = pseudoRandomBytes(10_000, 1);
      const big = pseudoRandomBytes(21 * MiB, 2);
      const smallPath = join(dir, 'small.bin');
      const bigPath = join(dir, 'big.bin');
      await writeFile(smallPath, small);
      await writeFile(bigPath, big);
      const url = (key: string) => `s3://${s.bucket}/${key}`;
      const multipart = ['--part-size', '5MiB', '--concurrency', '3'];

      const up = await s.ok(['cp', smallPath, url('plain/')]);
      assert.match(up.stdout, new RegExp(`^upload: ${escape(smallPath)} to ${escape(url('plain/small.bin'))}$`, 'm'));
      assert.match(up.stdout, /^uploaded 1 file, 9\.77 KiB in /m);
      await s.ok(['cp', bigPath, url('plain/big.bin'), ...multipart]);
      await s.ok(['cp', smallPath, url('enc/small.bin'), '--sse-c', 'prod']);
      const encUp = await s.ok(['cp', bigPath, url('enc/big.bin'), '--sse-c', `@${join(s.work, 'file.key')}`, ...multipart]);
      assertNoKeys(s, encUp.stdout + encUp.stderr);

      // The server checked every part and the whole against the CRC64NVME the CLI sent.
      const head = await s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'plain/big.bin', ChecksumMode: 'ENABLED' }));
      assert.equal(head.ChecksumCRC64NVME, checksumB64('CRC64NVME', big));
      assert.equal(head.ChecksumType, 'FULL_OBJECT');
      assert.equal(head.PartsCount, 5);
      await assert.rejects(s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'enc/big.bin' })), (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 400, 'SSE-C: a HEAD without the key answers 400');
      const encHead = await s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'enc/big.bin', ChecksumMode: 'ENABLED', ...sseC(s.keys.file) }));
      assert.equal(encHead.ChecksumCRC64NVME, checksumB64('CRC64NVME', big));
      assert.equal(encHead.PartsCount, 5);
      await s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'enc/small.bin', ...sseC(s.keys.prod) }));

      const down = await s.ok(['cp', url('plain/small.bin'), `${out}/`]);
      assert.match(down.stdout, new RegExp(`^download: ${escape(url('plain/small.bin'))} to ${escape(out)}/small.bin$`, 'm'));
      await s.ok(['cp', url('plain/big.bin'), join(out, 'big.bin'), ...multipart]);
      await s.ok(['cp', url('enc/small.bin'), join(out, 'enc-small.bin'), '--sse-c', 'prod']);
      await s.ok(['cp', url('enc/big.bin'), join(out, 'enc-big.bin'), '--sse-c', 'env:SB_CP_KEY', ...multipart], { SB_CP_KEY: s.keys.file.toString('base64') });
      assert.equal(sha256(await readFile(join(out, 'small.bin'))), sha256(small));
      assert.equal(sha256(await readFile(join(out, 'big.bin'))), sha256(big));
      assert.equal(sha256(await readFile(join(out, 'enc-small.bin'))), sha256(small));
      assert.equal(sha256(await readFile(join(out, 'enc-big.bin'))), sha256(big));
      assert.deepEqual(await leftovers(dir), []);
    });

    it('copies a folder tree up and down with --recursive, skipping a link loop', async () => {
      const src = join(s.work, 'tree');
      const files: Record<string, Buffer> = {
        'a.txt': pseudoRandomBytes(1000, 3),
        'empty.txt': Buffer.alloc(0),
        'sub/b.bin': pseudoRandomBytes(6 * MiB, 4),
        'sub/deeper/c.txt': pseudoRandomBytes(77, 5),
      };
      for (const [rel, data] of Object.entries(files)) {
        await mkdir(join(src, rel, '..'), { recursive: true });
        await writeFile(join(src, rel), data);
      }
      await symlink('..', join(src, 'sub', 'loop'));

      const up = await s.cli(['cp', src, `s3://${s.bucket}/tree`, '--recursive', '--sse-c', 'prod', '--multipart-threshold', '5MiB', '--part-size', '5MiB']);
      assert.equal(up.code, 2, `skips exit with 2:\n${up.stdout}\n${up.stderr}`);
      assert.match(up.stderr, /^skipping .*sub\/loop: links to .*already copied/m);
      for (const rel of Object.keys(files)) assert.match(up.stdout, new RegExp(`^upload: ${escape(join(src, rel))} to s3://${s.bucket}/tree/${escape(rel)}$`, 'm'));
      assert.match(up.stdout, /^uploaded 4 files, /m);
      const listed = await s.s3.send(new ListObjectsV2Command({ Bucket: s.bucket, Prefix: 'tree/' }));
      assert.deepEqual(listed.Contents?.map((o) => o.Key), Object.keys(files).map((rel) => `tree/${rel}`));
      const b = await s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'tree/sub/b.bin', ...sseC(s.keys.prod) }));
      assert.equal(b.PartsCount, 2);

      const dst = join(s.work, 'tree-down');
      const down = await s.ok(['cp', `s3://${s.bucket}/tree/`, dst, '--recursive', '--sse-c', 'prod']);
      assert.match(down.stdout, /^downloaded 4 files, /m);
      for (const [rel, data] of Object.entries(files)) {
        assert.match(down.stdout, new RegExp(`^download: s3://${s.bucket}/tree/${escape(rel)} to ${escape(dst)}/${escape(rel)}$`, 'm'));
        assert.equal(sha256(await readFile(join(dst, rel))), sha256(data), rel);
      }
      // A prefix without its slash is a folder too; only what is below it comes down.
      const subDst = join(s.work, 'sub-down');
      await s.ok(['cp', `s3://${s.bucket}/tree/sub`, subDst, '--recursive', '--sse-c', 'prod']);
      assert.deepEqual((await listFiles(subDst)).map((f) => f.slice(subDst.length + 1)).sort(), ['b.bin', 'deeper/c.txt']);
      assert.deepEqual(await leftovers(s.work), []);
    });
  });
}

describe('strongbox cp with boto3, failures and resumed downloads (https)', () => {
  const s = useServer({ http: false });
  const url = (key: string) => `s3://${s.bucket}/${key}`;

  it('boto3 reads what the CLI wrote, and the CLI reads what boto3 wrote', async () => {
    const dir = join(s.work, 'interop');
    await mkdir(dir, { recursive: true });
    const small = pseudoRandomBytes(5000, 11);
    const big = pseudoRandomBytes(22 * MiB, 12);
    await writeFile(join(dir, 'small.bin'), small);
    await writeFile(join(dir, 'big.bin'), big);
    await s.ok(['cp', join(dir, 'small.bin'), url('cli/small.bin'), '--sse-c', 'prod']);
    await s.ok(['cp', join(dir, 'big.bin'), url('cli/big.bin'), '--sse-c', `@${join(s.work, 'file.key')}`, '--part-size', '5MiB']);
    await s.ok(['cp', join(dir, 'big.bin'), url('cli/plain.bin'), '--checksum', 'CRC32C', '--part-size', '5MiB']);

    const script = `
import os, json, hashlib, boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'], config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B, W = os.environ['BUCKET'], os.environ['WORK']
prod = open(os.environ['PROD_KEY'], 'rb').read()
filekey = open(os.environ['FILE_KEY'], 'rb').read()
def sha(key, k=None):
    extra = {} if k is None else dict(SSECustomerAlgorithm='AES256', SSECustomerKey=k)
    return hashlib.sha256(s3.get_object(Bucket=B, Key=key, **extra)['Body'].read()).hexdigest()
read = dict(small=sha('cli/small.bin', prod), big=sha('cli/big.bin', filekey), plain=sha('cli/plain.bin'))
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(os.path.join(W, 'big.bin'), B, 'boto/big-ssec.bin', ExtraArgs=dict(SSECustomerAlgorithm='AES256', SSECustomerKey=filekey), Config=cfg)
s3.upload_file(os.path.join(W, 'big.bin'), B, 'boto/big.bin', Config=cfg)
s3.put_object(Bucket=B, Key='boto/small-ssec.bin', Body=open(os.path.join(W, 'small.bin'), 'rb').read(), SSECustomerAlgorithm='AES256', SSECustomerKey=prod)
print(json.dumps(read))
`;
    const py = await runPython(script, {
      ...clientEnv(s.server, s.server.root),
      STRONGBOX_URL: s.server.url,
      BUCKET: s.bucket,
      WORK: dir,
      PROD_KEY: join(s.work, 'prod.key'),
      FILE_KEY: join(s.work, 'file.key'),
    });
    assert.equal(py.code, 0, `boto3 failed:\n${py.stderr}`);
    assert.deepEqual(JSON.parse(py.stdout), { small: sha256(small), big: sha256(big), plain: sha256(big) });

    // boto3's multipart uploads carry a COMPOSITE CRC32: the CLI checks it part by part.
    const boto = await s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'boto/big-ssec.bin', ChecksumMode: 'ENABLED', ...sseC(s.keys.file) }));
    assert.equal(boto.ChecksumType, 'COMPOSITE');
    assert.equal(boto.PartsCount, 5);
    const out = join(dir, 'out');
    const d1 = await s.ok(['cp', url('boto/big-ssec.bin'), `${out}/`, '--sse-c', `@${join(s.work, 'file.key')}`, '--part-size', '5MiB', '--concurrency', '3']);
    const d2 = await s.ok(['cp', url('boto/big.bin'), `${out}/`]);
    const d3 = await s.ok(['cp', url('boto/small-ssec.bin'), `${out}/`, '--sse-c', 'prod']);
    for (const d of [d1, d2, d3]) assert.doesNotMatch(d.stdout, /size checked only/);
    assert.equal(sha256(await readFile(join(out, 'big-ssec.bin'))), sha256(big));
    assert.equal(sha256(await readFile(join(out, 'big.bin'))), sha256(big));
    assert.equal(sha256(await readFile(join(out, 'small-ssec.bin'))), sha256(small));
  });

  it('fails clearly with a wrong or missing SSE-C key, and leaves no file', async () => {
    const dir = join(s.work, 'errors');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'secret.bin'), pseudoRandomBytes(7 * MiB, 21));
    await s.ok(['cp', join(dir, 'secret.bin'), url('errors/secret.bin'), '--sse-c', `@${join(s.work, 'file.key')}`, '--multipart-threshold', '5MiB', '--part-size', '5MiB']);
    const dst = join(dir, 'out', 'secret.bin');

    const wrong = await s.cli(['cp', url('errors/secret.bin'), dst, '--sse-c', `@${join(s.work, 'wrong.key')}`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`^download failed: ${escape(url('errors/secret.bin'))} to ${escape(dst)}: .*Forbidden \\(403\\): the SSE-C key @${escape(join(s.work, 'wrong.key'))} \\([0-9a-f-]{19}\\) does not open it`, 'm'));
    assertNoKeys(s, wrong.stdout + wrong.stderr);

    const missing = await s.cli(['cp', url('errors/secret.bin'), dst]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /BadRequest \(400\): the object is SSE-C encrypted; give its key with --sse-c \[STRONGBOX_CLIENT_S3\]/);
    await assert.rejects(stat(join(dir, 'out')), { code: 'ENOENT' }, 'nothing created');

    const gone = await s.cli(['cp', url('errors/nope.bin'), dst]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /HEAD s3:\/\/.*\/errors\/nope\.bin: NotFound \(404\)/);
    const noFile = await s.cli(['cp', join(dir, 'nope.bin'), url('errors/')]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /^strongbox: .*nope\.bin does not exist$/m);
    const s3ToS3 = await s.cli(['cp', url('a'), url('b')]);
    assert.equal(s3ToS3.code, 1);
    assert.match(s3ToS3.stderr, /S3 to S3 copies are not supported/);
    await assert.rejects(stat(join(dir, 'out')), { code: 'ENOENT' });
  });

  describe('resumable downloads', () => {
    const size = 64 * MiB;
    const partSize = 5 * MiB;
    const parts = Math.ceil(size / partSize);
    let data: Buffer;
    let dir: string;
    let dst: string;
    let args: string[];
    const journalPath = () => `${dst}.strongbox-download.json`;
    const tempPath = () => `${dst}.strongbox-download`;

    before(async () => {
      dir = join(s.work, 'resume');
      await mkdir(dir, { recursive: true });
      data = pseudoRandomBytes(size, 31);
      await writeFile(join(dir, 'src.bin'), data);
      await s.ok(['cp', join(dir, 'src.bin'), url('resume/big.bin'), '--sse-c', `@${join(s.work, 'file.key')}`]);
      dst = join(dir, 'out', 'big.bin');
      args = ['cp', url('resume/big.bin'), dst, '--part-size', '5MiB', '--concurrency', '1', '--sse-c', `@${join(s.work, 'file.key')}`];
    });

    /** Runs the download and kills it once its journal lists a part; returns the journal then. */
    async function interrupted(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ done: number[]; text: string; code: number | null; output: string }> {
      const child = spawn(process.execPath, [MAIN_JS, ...args, '--endpoint', s.server.url], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      let finished = false;
      void exited.then(() => (finished = true));
      const deadline = Date.now() + 60_000;
      for (;;) {
        assert.ok(!finished, `the download ended before it could be interrupted:\n${output}`);
        assert.ok(Date.now() < deadline, `no part was journalled within 60 s:\n${output}`);
        const text = await readFile(journalPath(), 'utf8').catch(() => '');
        const done = text === '' ? [] : (JSON.parse(text) as { done: number[] }).done;
        if (done.length > 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill(signal);
      const end = await exited;
      if (signal === 'SIGKILL') assert.equal(end.signal, 'SIGKILL');
      const text = await readFile(journalPath(), 'utf8');
      return { done: (JSON.parse(text) as { done: number[] }).done, text, code: end.code, output };
    }

    it('resumes after SIGKILL and produces the same bytes', async () => {
      const j = await interrupted();
      assert.ok(j.done.length >= 1 && j.done.length < parts, `parts done: ${j.done.length}`);
      assertNoKeys(s, j.text);
      assert.deepEqual(Object.keys(JSON.parse(j.text)).sort(), ['bucket', 'done', 'etag', 'format', 'key', 'partSize', 'size'], 'the journal holds no key material');
      const r = await s.ok(args);
      const m = new RegExp(`^resuming ${escape(url('resume/big.bin'))} \\((\\d+) of ${parts} parts already here\\)$`, 'm').exec(r.stdout);
      assert.ok(m !== null, `no resuming line:\n${r.stdout}`);
      assert.ok(Number(m[1]) >= j.done.length);
      assert.equal(sha256(await readFile(dst)), sha256(data));
      assert.deepEqual(await leftovers(dir), []);
      await unlink(dst);
    });

    it('refuses a partial file whose parts were tampered with', async () => {
      const j = await interrupted();
      const fh = await open(tempPath(), 'r+');
      const at = j.done[0]! * partSize + 12_345;
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, at);
      byte[0] = byte[0]! ^ 0x01;
      await fh.write(byte, 0, 1, at);
      await fh.close();
      const r = await s.cli(args);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^resuming /m);
      assert.match(r.stderr, new RegExp(`^download failed: ${escape(url('resume/big.bin'))} to ${escape(dst)}: .*CRC64NVME is .*, the object's is .*the download is discarded \\[STRONGBOX_CLIENT_VERIFY\\]$`, 'm'));
      await assert.rejects(stat(dst), { code: 'ENOENT' }, 'the destination is not created');
      assert.deepEqual(await leftovers(dir), []);
    });

    it('stops on Ctrl-C keeping what it has, and resumes', async () => {
      const j = await interrupted('SIGINT');
      assert.equal(j.code, 130, j.output);
      assert.match(j.output, new RegExp(`^download failed: ${escape(url('resume/big.bin'))} to ${escape(dst)}: interrupted \\(Ctrl-C\\); run the same command again to resume$`, 'm'));
      const r = await s.ok(args);
      assert.match(r.stdout, /^resuming /m);
      assert.equal(sha256(await readFile(dst)), sha256(data));
      assert.deepEqual(await leftovers(dir), []);
      await unlink(dst);
    });

    it('starts over when the object changed between runs', async () => {
      await interrupted();
      const replaced = pseudoRandomBytes(size, 32);
      await s.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: 'resume/big.bin', Body: replaced, ...sseC(s.keys.file) }));
      const r = await s.ok(args);
      assert.match(r.stdout, new RegExp(`^starting ${escape(url('resume/big.bin'))} over: the object changed since the interrupted download$`, 'm'));
      assert.doesNotMatch(r.stdout, /^resuming/m);
      assert.equal(sha256(await readFile(dst)), sha256(replaced));
      assert.deepEqual(await leftovers(dir), []);
    });
  });

  describe('failed uploads', () => {
    /**
     * Starts uploading a sparse 64 MiB file (zeros, never written) in 13 parts one at a time,
     * and calls `midway` once the multipart upload exists on the server.
     */
    async function uploadUntilMidway(name: string, midway: (path: string, child: ReturnType<typeof spawn>) => Promise<void>) {
      const dir = join(s.work, name);
      await mkdir(dir, { recursive: true });
      const path = join(dir, 'big.bin');
      await writeFile(path, '');
      await truncate(path, 64 * MiB);
      const target = url(`${name}/big.bin`);
      const child = spawn(process.execPath, [MAIN_JS, 'cp', path, target, '--part-size', '5MiB', '--concurrency', '1', '--endpoint', s.server.url], {
        env: s.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const uploads = await s.s3.send(new ListMultipartUploadsCommand({ Bucket: s.bucket, Prefix: `${name}/` }));
        if ((uploads.Uploads ?? []).length > 0) break;
        assert.ok(Date.now() < deadline, `the multipart upload never appeared:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      await midway(path, child);
      const code = await exited;
      const left = await s.s3.send(new ListMultipartUploadsCommand({ Bucket: s.bucket }));
      assert.deepEqual(left.Uploads ?? [], [], `the upload was aborted (exit ${code}):\n${stderr}`);
      await expectS3Error(s.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: `${name}/big.bin` })), 'NotFound', 404);
      return { code, stdout, stderr, path, target };
    }

    it('aborts a multipart upload whose part fails, leaving no upload and no object', async () => {
      // The file goes away: the next part cannot be read (each part opens the file afresh).
      const r = await uploadUntilMidway('abort', (path) => unlink(path));
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^upload failed: ${escape(r.path)} to ${escape(r.target)}: ENOENT: no such file or directory, open '${escape(r.path)}'$`, 'm'));
      assert.match(r.stdout, /^uploaded 0 files, .*; 1 failed$/m);
    });

    it('aborts a multipart upload on Ctrl-C', async () => {
      const r = await uploadUntilMidway('interrupt', async (_, child) => void child.kill('SIGINT'));
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, new RegExp(`^upload failed: ${escape(r.path)} to ${escape(r.target)}: .*interrupted \\(Ctrl-C\\)`, 'm'));
      assert.match(r.stdout, /; 1 failed; interrupted$/m);
    });
  });
});
