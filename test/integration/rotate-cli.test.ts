/**
 * `strongbox rotate` end to end (issue 5), against a real server: a prefix written by the JS
 * SDK and by boto3 (one object uploaded in parts, one above the lowered multipart-copy
 * threshold) is moved from the old SSE-C key to the new one, and boto3 reads the result; a
 * dry run changes nothing; a rotation killed with SIGKILL half-way resumes from its journal
 * and loses nothing; `--to kms:` converts to SSE-KMS; another rotation's journal is refused.
 * Over HTTPS, and once over HTTP (--allow-insecure-sse-c).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { MAIN_JS, bodyBytes, clientEnv, runPython, s3Client, startServer, type TestServer } from './harness.js';
import { pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import { kmsClient } from './fixtures/sse-kms.js';
import { makeKey, sdkSse, type SseKey } from './fixtures/sse-c.js';
import { BOTO3_PROLOGUE, assertNoKeyMaterial, cliEnv, headStatus, importKey, strongbox, writeKeyFile, type CliResult } from './fixtures/sse-c-cli.js';

const MiB = 1024 * 1024;
const OLD = makeKey('rotate old');
const NEW = makeKey('rotate new');
const OTHER = makeKey('rotate other');
/** Lowered multipart-copy threshold and part size, so a 13 MiB object is copied in 3 parts. */
const MULTIPART = ['--multipart-threshold', '12MiB', '--multipart-chunksize', '5MiB'];

interface Spec {
  readonly key: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  /** Written by boto3 (upload_fileobj, in parts above 5 MiB) rather than the JS SDK. */
  readonly boto3?: boolean;
}

const reportCount = (stdout: string, label: string): number => Number(new RegExp(`^ {2}${label} +(\\d+)`, 'm').exec(stdout)?.[1] ?? 0);
const linesStarting = (stdout: string, start: string): string[] => stdout.split('\n').filter((l) => l.startsWith(start));

async function putObjects(s3: S3Client, bucket: string, specs: readonly Spec[], key: SseKey): Promise<void> {
  for (const s of specs.filter((x) => x.boto3 !== true)) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: s.key,
        Body: s.body,
        ...sdkSse(key),
        ...(s.contentType === undefined ? {} : { ContentType: s.contentType }),
        ...(s.metadata === undefined ? {} : { Metadata: s.metadata }),
        ...(s.cacheControl === undefined ? {} : { CacheControl: s.cacheControl }),
        ...(s.contentDisposition === undefined ? {} : { ContentDisposition: s.contentDisposition }),
      }),
    );
  }
}

/** GET with `key`: the bytes and content headers are the spec's. */
async function assertOpensWith(s3: S3Client, bucket: string, s: Spec, key: SseKey | undefined): Promise<void> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: s.key, ...(key === undefined ? {} : sdkSse(key)) }));
  const body = await bodyBytes(res.Body);
  assert.equal(sha256(body), sha256(s.body), `${s.key}: bytes`);
  if (s.contentType !== undefined) assert.equal(res.ContentType, s.contentType, `${s.key}: Content-Type`);
  assert.deepEqual(res.Metadata ?? {}, s.metadata ?? {}, `${s.key}: metadata`);
  if (s.cacheControl !== undefined) assert.equal(res.CacheControl, s.cacheControl, `${s.key}: Cache-Control`);
  if (s.contentDisposition !== undefined) assert.equal(res.ContentDisposition, s.contentDisposition, `${s.key}: Content-Disposition`);
}

describe('strongbox rotate (CLI) over HTTPS', () => {
  let server: TestServer;
  let s3: S3Client;
  let env: NodeJS.ProcessEnv;
  let oldFile: string;
  const dir = mkdtempSync(join(tmpdir(), 'sb-rotate-'));
  const outputs: string[] = [];
  const work = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const rotate = async (args: readonly string[], cwd: string): Promise<CliResult> => {
    const r = await strongbox(env, ['rotate', ...args, '--endpoint', server.url], cwd);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const journalsIn = async (d: string) => (await readdir(d)).filter((f) => /^strongbox-rotate-[0-9a-f]{16}\.jsonl$/.test(f));

  before(async () => {
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1'] });
    s3 = s3Client(server);
    env = cliEnv(server, dir, { SB_NEW_KEY: NEW.raw.toString('hex') });
    await importKey(env, dir, 'old', OLD);
    await importKey(env, dir, 'new', NEW);
    oldFile = await writeKeyFile(dir, 'old.key', OLD);
  });

  after(async () => {
    s3?.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a prefix written by the SDK and boto3', () => {
    const bucket = `rotate-a-${process.pid}`;
    const specs: Spec[] = [
      ...Array.from({ length: 12 }, (_, i): Spec => ({
        key: `data/obj-${String(i).padStart(2, '0')}.txt`,
        body: pseudoRandomBytes(i * 1537 + 1, 100 + i),
        ...(i % 3 === 0 ? { contentType: `text/x-rot-${i}`, metadata: { n: String(i), who: 'sdk' } } : {}),
      })),
      { key: 'data/sp ace+plus&q=?.txt', body: Buffer.from('special characters in the key') },
      { key: 'data/ünï/çødé.bin', body: pseudoRandomBytes(4096, 7) },
      { key: 'data/empty', body: Buffer.alloc(0) },
      {
        key: 'data/big.bin',
        body: pseudoRandomBytes(13 * MiB + 5, 8),
        contentType: 'application/x-big',
        metadata: { size: 'big' },
        cacheControl: 'max-age=60',
        contentDisposition: 'attachment; filename="big.bin"',
      },
      { key: 'data/boto-1.bin', body: pseudoRandomBytes(2000, 9), contentType: 'application/x-boto', metadata: { writer: 'boto3' }, boto3: true },
      { key: 'data/boto-2.bin', body: pseudoRandomBytes(70_000, 10), boto3: true },
      { key: 'data/boto-multipart.bin', body: pseudoRandomBytes(11 * MiB, 11), contentType: 'application/x-parts', metadata: { parts: '3' }, boto3: true },
    ];
    const outside: Spec[] = [
      { key: 'datum.txt', body: Buffer.from('outside the prefix data/') },
      { key: 'keep/outside.txt', body: Buffer.from('outside too') },
    ];
    const otherKey: Spec = { key: 'data/other-key.bin', body: Buffer.from('under another key') };
    const sseS3Key = 'data/sse-s3.txt';
    let runDir: string;

    before(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await putObjects(s3, bucket, [...specs, ...outside], OLD);
      await putObjects(s3, bucket, [otherKey], OTHER);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sseS3Key, Body: Buffer.from('sse-s3'), ServerSideEncryption: 'AES256' }));
      const upload = work('upload');
      const boto = specs.filter((s) => s.boto3 === true);
      for (const [i, s] of boto.entries()) await writeFile(join(upload, String(i)), s.body);
      const py = await runPython(
        `${BOTO3_PROLOGUE}
specs = json.loads(os.environ['SPECS'])
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
for i, s in enumerate(specs):
    extra = dict(sse('KEY_OLD'))
    if s.get('contentType'): extra['ContentType'] = s['contentType']
    if s.get('metadata'): extra['Metadata'] = s['metadata']
    with open(os.path.join(os.environ['WORK'], str(i)), 'rb') as f:
        s3.upload_fileobj(f, B, s['key'], ExtraArgs=extra, Config=cfg)
print(s3.head_object(Bucket=B, Key='data/boto-multipart.bin', **sse('KEY_OLD')).get('PartsCount'))
`,
        {
          ...clientEnv(server, server.root),
          STRONGBOX_URL: server.url,
          BUCKET: bucket,
          WORK: upload,
          KEY_OLD: OLD.raw.toString('hex'),
          SPECS: JSON.stringify(boto.map((s) => ({ key: s.key, contentType: s.contentType, metadata: s.metadata }))),
        },
      );
      assert.equal(py.code, 0, `boto3 upload failed:\n${py.stderr}`);
      assert.equal(py.stdout.trim(), '3', 'boto3 uploaded data/boto-multipart.bin in 3 parts');
    });

    it('--dry-run reports what would be rotated, changes nothing and writes no journal', async () => {
      const dry = work('dry');
      const r = await rotate([`s3://${bucket}/data/`, '--from', 'old', '--to', 'new', '--dry-run', ...MULTIPART], dry);
      assert.equal(r.code, 2, `status 2 (an object under another key):\n${r.stderr}\n${r.stdout}`);
      assert.equal(linesStarting(r.stdout, 'would rotate: ').length, specs.length, r.stdout);
      assert.ok(r.stdout.includes(`would rotate: s3://${bucket}/data/big.bin (13.0 MiB, in parts)\n`), r.stdout);
      assert.ok(r.stdout.includes(`not opened by old or new: s3://${bucket}/${otherKey.key}\n`), r.stdout);
      assert.ok(r.stdout.includes(`skipped (SSE-S3): s3://${bucket}/${sseS3Key}\n`), r.stdout);
      assert.match(r.stdout, /^rotation of s3:\/\/\S+\/data\/ from old \([0-9a-f-]{19}\) to new \([0-9a-f-]{19}\): dry run, nothing changed$/m);
      assert.equal(reportCount(r.stdout, 'would rotate'), specs.length);
      assert.deepEqual(await readdir(dry), []);
      for (const s of specs) assert.equal(await headStatus(s3, bucket, s.key, OLD), 200, `${s.key} still under the old key`);
    });

    it('moves every object of the prefix to the new key, keeping bytes and metadata; boto3 reads them', async () => {
      runDir = work('run');
      const r = await rotate([`s3://${bucket}/data/`, '--from', 'old', '--to', 'new', '--concurrency', '4', ...MULTIPART], runDir);
      assert.equal(r.code, 2, `status 2 (an object under another key):\n${r.stderr}\n${r.stdout}`);
      assert.deepEqual(linesStarting(r.stdout, 'rotated: ').sort(), specs.map((s) => `rotated: s3://${bucket}/${s.key}${s.key === 'data/big.bin' ? ' (copied in parts)' : ''}`).sort());
      assert.ok(r.stdout.includes(`not opened by old or new: s3://${bucket}/${otherKey.key}\n`));
      assert.match(r.stdout, /: complete$/m);
      assert.equal(reportCount(r.stdout, 'objects'), specs.length + 2);
      assert.equal(reportCount(r.stdout, 'rotated'), specs.length);
      assert.equal(reportCount(r.stdout, 'not opened by old or new'), 1);
      assert.equal(reportCount(r.stdout, 'not SSE-C \\(skipped\\)'), 1);
      assert.match(r.stdout, /^ {2}rotated +\d+ \(\d+\.\d+ MiB, 1 in parts\)$/m);
      assert.match(r.stdout, /^ {2}elapsed +\d+\.\d s \(\d+\.\d objects\/s, /m);

      for (const s of specs) {
        await assertOpensWith(s3, bucket, s, NEW);
        assert.equal(await headStatus(s3, bucket, s.key, OLD), 403, `${s.key}: the old key no longer opens it`);
      }
      await assertOpensWith(s3, bucket, otherKey, OTHER);
      for (const s of outside) await assertOpensWith(s3, bucket, s, OLD);
      const sseS3 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: sseS3Key }));
      assert.equal(sseS3.ServerSideEncryption, 'AES256');

      const journals = await journalsIn(runDir);
      assert.equal(journals.length, 1);
      const journal = (await readFile(join(runDir, journals[0]!), 'utf8')).trim().split('\n');
      assert.equal(journal.length, 1 + specs.length + 2 + 1, 'header, one line per object, completion');
      assert.match(journal.at(-1)!, /^\{"completed":/);

      // boto3 reads what the CLI wrote, with the new key only.
      const check = specs.filter((s) => ['data/big.bin', 'data/boto-multipart.bin', 'data/obj-00.txt', 'data/sp ace+plus&q=?.txt'].includes(s.key));
      const py = await runPython(
        `${BOTO3_PROLOGUE}
from botocore.exceptions import ClientError
out = {}
for k in json.loads(os.environ['KEYS']):
    r = s3.get_object(Bucket=B, Key=k, **sse('KEY_NEW'))
    try:
        s3.get_object(Bucket=B, Key=k, **sse('KEY_OLD'))
        old = 200
    except ClientError as e:
        old = e.response['ResponseMetadata']['HTTPStatusCode']
    out[k] = [hashlib.sha256(r['Body'].read()).hexdigest(), r.get('ContentType'), r.get('Metadata'), old]
print(json.dumps(out))
`,
        {
          ...clientEnv(server, server.root),
          STRONGBOX_URL: server.url,
          BUCKET: bucket,
          KEY_NEW: NEW.raw.toString('hex'),
          KEY_OLD: OLD.raw.toString('hex'),
          KEYS: JSON.stringify(check.map((s) => s.key)),
        },
      );
      assert.equal(py.code, 0, `boto3 read failed:\n${py.stderr}`);
      const got = JSON.parse(py.stdout) as Record<string, [string, string, Record<string, string>, number]>;
      for (const s of check) {
        const [hash, type, meta, oldStatus] = got[s.key]!;
        assert.equal(hash, sha256(s.body), `boto3 ${s.key}: bytes`);
        if (s.contentType !== undefined) assert.equal(type, s.contentType, `boto3 ${s.key}: Content-Type`);
        assert.deepEqual(meta, s.metadata ?? {}, `boto3 ${s.key}: metadata`);
        assert.equal(oldStatus, 403, `boto3 ${s.key}: the old key is refused`);
      }
    });

    it('a completed rotation run again is a quick no-op', async () => {
      const before = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'data/obj-00.txt', ...sdkSse(NEW) }));
      const r = await rotate([`s3://${bucket}/data/`, '--from', 'old', '--to', 'new', ...MULTIPART], runDir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stdout, /already complete \(.*\): rotated 19, not SSE-C \(skipped\) 1, not opened by old or new 1\nnothing to do; remove \S+ to rotate objects written since\n$/);
      const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'data/obj-00.txt', ...sdkSse(NEW) }));
      assert.equal(after.ETag, before.ETag);
    });

    it('refuses the journal of another rotation and files that are not journals', async () => {
      const journal = join(runDir, (await journalsIn(runDir))[0]!);
      const before = await readFile(journal);
      const other = await rotate([`s3://${bucket}/keep/`, '--from', 'old', '--to', 'new', '--journal', journal], runDir);
      assert.equal(other.code, 1);
      assert.match(other.stderr, /^strongbox: journal \S+ belongs to another rotation \(prefix "data\/" instead of "keep\/"\): remove it, or pass --journal with another file\n$/);
      assert.deepEqual(await readFile(journal), before);
      const notes = join(runDir, 'notes.txt');
      await writeFile(notes, 'not a journal\n');
      const bad = await rotate([`s3://${bucket}/keep/`, '--from', 'old', '--to', 'new', '--journal', notes], runDir);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /notes\.txt is not a rotation journal/);
      assert.equal(await readFile(notes, 'utf8'), 'not a journal\n');
      assert.equal(await headStatus(s3, bucket, 'keep/outside.txt', OLD), 200);
    });

    it('refuses bad arguments', async () => {
      const same = await rotate([`s3://${bucket}/data/`, '--from', 'new', '--to', 'env:SB_NEW_KEY'], runDir);
      assert.equal(same.code, 1);
      assert.match(same.stderr, /--from and --to are the same key/);
      const noKms = await rotate([`s3://${bucket}/data/`, '--from', 'old', '--to', 'kms:'], runDir);
      assert.equal(noKms.code, 1);
      assert.match(noKms.stderr, /--to kms: needs a KMS key id/);
      const noTo = await rotate([`s3://${bucket}/data/`, '--from', 'old'], runDir);
      assert.equal(noTo.code, 1);
      assert.match(noTo.stderr, /required option '--to <keyref>' not specified/);
    });
  });

  /** `count` 1 KiB objects under OLD in a new bucket. */
  const smallObjects = async (bucket: string, count: number): Promise<string[]> => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = Array.from({ length: count }, (_, i) => `k/obj-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < count; i += 10) {
      await Promise.all(keys.slice(i, i + 10).map((Key, j) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: pseudoRandomBytes(1024, i + j), ...sdkSse(OLD) }))));
    }
    return keys;
  };

  /**
   * Starts a rotation (one object at a time) in `cwd` and sends `signal` once its journal
   * records `after` objects; resolves with what the rotation printed and how it ended.
   */
  const interrupt = async (args: readonly string[], cwd: string, after: number, signal: NodeJS.Signals) => {
    const child = spawn(process.execPath, [MAIN_JS, 'rotate', ...args, '--endpoint', server.url], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let recorded = 0;
    const deadline = Date.now() + 60_000;
    while (child.exitCode === null && Date.now() < deadline) {
      const [name] = await journalsIn(cwd);
      const text = name === undefined ? '' : await readFile(join(cwd, name), 'utf8');
      recorded = text.split('\n').length - 2;
      if (recorded >= after) {
        child.kill(signal);
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const end = await exited;
    outputs.push(stdout, stderr);
    return { ...end, stdout, stderr, recordedAtSignal: recorded };
  };

  it('a rotation killed half-way (SIGKILL) loses nothing and resumes from its journal', async () => {
    const bucket = `rotate-c-${process.pid}`;
    const total = 80;
    const keys = await smallObjects(bucket, total);
    const killDir = work('kill');
    const args = [`s3://${bucket}/k/`, '--from', `@${oldFile}`, '--to', 'env:SB_NEW_KEY', '--concurrency', '1'];
    const killed = await interrupt(args, killDir, 10, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL', `the rotation was to be killed half-way:\n${killed.stderr}`);
    assert.ok(killed.recordedAtSignal >= 10 && killed.recordedAtSignal < total, `killed after ${killed.recordedAtSignal} objects`);

    let underNew = 0;
    for (const key of keys) {
      const old = await headStatus(s3, bucket, key, OLD);
      if (old === 200) continue;
      assert.equal(old, 403, key);
      assert.equal(await headStatus(s3, bucket, key, NEW), 200, `${key} opens with neither key`);
      underNew++;
    }
    assert.ok(underNew >= 10 && underNew < total, `${underNew} objects under the new key after the kill`);

    const r = await rotate(args, killDir);
    assert.equal(r.code, 0, `resume failed:\n${r.stderr}\n${r.stdout}`);
    const resumed = Number(/^resuming: (\d+) objects already done \(journal \S+\)$/m.exec(r.stdout)?.[1]);
    assert.ok(resumed >= 10 && resumed <= underNew, `resumed ${resumed} of ${underNew} rotated`);
    assert.match(r.stdout, /: complete$/m);
    const rotated = reportCount(r.stdout, 'rotated');
    const already = reportCount(r.stdout, 'already rotated');
    assert.equal(reportCount(r.stdout, 'objects'), total);
    assert.equal(reportCount(r.stdout, 'done by earlier runs'), resumed);
    assert.equal(rotated + already + resumed, total, r.stdout);
    assert.equal(already, underNew - resumed, 'objects rotated but not journaled are found by HEAD');
    for (const key of keys) {
      assert.equal(await headStatus(s3, bucket, key, NEW), 200, key);
      assert.equal(await headStatus(s3, bucket, key, OLD), 403, key);
    }
  });

  it('Ctrl-C (SIGINT) finishes the objects in flight, journals them and exits 130; the next run resumes', async () => {
    const bucket = `rotate-i-${process.pid}`;
    const total = 40;
    await smallObjects(bucket, total);
    const intDir = work('interrupt');
    const args = [`s3://${bucket}/k/`, '--from', 'old', '--to', 'new', '--concurrency', '1'];
    const stopped = await interrupt(args, intDir, 5, 'SIGINT');
    assert.equal(stopped.code, 130, `${stopped.stderr}\n${stopped.stdout}`);
    assert.match(stopped.stderr, /stopping after the objects in flight/);
    assert.match(stopped.stdout, /: interrupted: run the same command again to resume$/m);
    const rotatedBefore = linesStarting(stopped.stdout, 'rotated: ').length;
    assert.ok(rotatedBefore >= 5 && rotatedBefore < total, `${rotatedBefore} rotated before the stop`);
    const journal = (await readFile(join(intDir, (await journalsIn(intDir))[0]!), 'utf8')).trim().split('\n');
    assert.equal(journal.length, 1 + rotatedBefore, 'every object rotated before the stop is journaled');
    assert.doesNotMatch(journal.at(-1)!, /completed/);
    const r = await rotate(args, intDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^resuming: ${rotatedBefore} objects already done`, 'm'));
    assert.equal(reportCount(r.stdout, 'rotated'), total - rotatedBefore);
  });

  it('--to kms: converts SSE-C objects to SSE-KMS', async () => {
    const bucket = `rotate-d-${process.pid}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const specs: Spec[] = [
      { key: 'm/small.txt', body: Buffer.from('small'), contentType: 'text/x-small', metadata: { kind: 'small' } },
      { key: 'm/medium.bin', body: pseudoRandomBytes(300 * 1024, 21) },
      { key: 'm/big.bin', body: pseudoRandomBytes(13 * MiB, 22), contentType: 'application/x-big', metadata: { kind: 'big' } },
    ];
    await putObjects(s3, bucket, specs, OLD);
    const kms = kmsClient(server, server.root);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }));
    kms.destroy();
    const d = work('kms');
    const r = await rotate([`s3://${bucket}/m/`, '--from', 'old', '--to', 'kms:alias/testkey-1', ...MULTIPART], d);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^rotation of \S+ from old \(\S+\) to SSE-KMS alias\/testkey-1: complete$/m);
    assert.equal(reportCount(r.stdout, 'rotated'), 3);
    assert.ok(r.stdout.includes(`rotated: s3://${bucket}/m/big.bin (copied in parts)\n`));
    for (const s of specs) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: s.key }));
      assert.equal(head.ServerSideEncryption, 'aws:kms', s.key);
      assert.equal(head.SSEKMSKeyId, KeyMetadata?.Arn, s.key);
      assert.equal(head.SSECustomerAlgorithm, undefined, s.key);
      await assertOpensWith(s3, bucket, s, undefined);
      assert.equal(await headStatus(s3, bucket, s.key, OLD), 400, `${s.key} is no longer SSE-C`);
    }
    // Named by key id, the same objects are recognised as converted already.
    const again = await rotate([`s3://${bucket}/m/`, '--from', 'old', '--to', `kms:${KeyMetadata?.KeyId}`, '--journal', join(d, 'by-id.jsonl')], d);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(reportCount(again.stdout, 'already rotated'), 3, again.stdout);
  });

  it('never prints key material', () => {
    assert.ok(outputs.length > 0);
    assertNoKeyMaterial(outputs.join('\n'), [OLD, NEW, OTHER], 'rotate');
  });
});

describe('strongbox rotate (CLI) over HTTP', () => {
  let server: TestServer;
  let s3: S3Client;
  const dir = mkdtempSync(join(tmpdir(), 'sb-rotate-http-'));
  const dataDir = join(dir, 'data');
  const bucket = `rotate-http-${process.pid}`;
  let oldKey: string;
  let newKey: string;
  before(async () => {
    server = await startServer({ http: true, dataDir, extraArgs: ['--allow-insecure-sse-c'] });
    s3 = s3Client(server);
    oldKey = `@${await writeKeyFile(dir, 'old.key', OLD)}`;
    newKey = `@${await writeKeyFile(dir, 'new.key', NEW)}`;
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rotates a prefix with --allow-insecure-sse-c, the large object in parts', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const specs: Spec[] = [
      ...Array.from({ length: 4 }, (_, i): Spec => ({ key: `h/${i}.txt`, body: pseudoRandomBytes(100 + i, 30 + i), metadata: { i: String(i) } })),
      { key: 'h/big.bin', body: pseudoRandomBytes(13 * MiB + 1, 40), contentType: 'application/x-big' },
    ];
    await putObjects(s3, bucket, specs, OLD);
    const r = await strongbox(cliEnv(server, dir), ['rotate', `s3://${bucket}/h/`, '--from', oldKey, '--to', newKey, '--endpoint', server.url, ...MULTIPART], dir);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.equal(reportCount(r.stdout, 'rotated'), specs.length);
    for (const s of specs) {
      await assertOpensWith(s3, bucket, s, NEW);
      assert.equal(await headStatus(s3, bucket, s.key, OLD), 403, s.key);
    }
    assertNoKeyMaterial(r.stdout + r.stderr, [OLD, NEW], 'rotate over HTTP');
  });

  it('says that the server refuses SSE-C keys over plain HTTP, rather than misreading objects', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'h2/x.txt', Body: Buffer.from('x'), ...sdkSse(OLD) }));
    const root = server.root;
    s3.destroy();
    await server.stop();
    server = await startServer({ http: true, dataDir, root });
    s3 = s3Client(server);
    const env = cliEnv(server, dir);
    const refused = /400 with and without an SSE-C key: the server refuses the key \(SSE-C needs HTTPS\)/;
    const v = await strongbox(env, ['verify', `s3://${bucket}/h2/`, '--sse-c', oldKey, '--endpoint', server.url]);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stderr, refused);
    const r = await strongbox(env, ['rotate', `s3://${bucket}/h2/`, '--from', oldKey, '--to', newKey, '--endpoint', server.url], dir);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, refused);
    assert.match(r.stdout, /^ {2}failed +1$/m);
  });
});
