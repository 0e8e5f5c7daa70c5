/**
 * SSE-C (customer-provided keys, ../shared/spec/aws-sse.md §2) with the clients users run, over
 * HTTPS: boto3's upload_fileobj / download_fileobj with ExtraArgs (a small file and a 40 MiB
 * multipart upload through s3transfer), head_object and get_object without a key and with a
 * wrong one; the AWS CLI's `aws s3 cp --sse-c` (small and 20 MiB multipart) both ways, its error
 * lines without a key and with a wrong one, `aws s3 ls` and `aws s3api head-object`.
 *
 * The last test is a secrets scan over everything the others did: no key used here (raw, base64,
 * hex) and no MD5 of one may appear in any file under the data directory, while the server runs
 * (meta.db-wal included) and after it stopped, nor in the server's output at debug level (§2.8).
 * The server is spawned here rather than by startServer() so that its whole output is kept as
 * bytes (the harness keeps only the tail, as text) and the data directory survives stop().
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  clientEnv,
  listFiles,
  rawRequest,
  runAws,
  runPython,
  s3Client,
  spawnServe,
  type Credentials,
  type TestServer,
} from './harness.js';
import { md5Hex, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();
/** A fixed 32-byte key per label: the test does not depend on a random source of its own. */
const labelKey = (label: string): Buffer => createHash('sha256').update(`strongbox sse-c clients: ${label}`).digest();

const NO_KEY_GET =
  'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.';
const WRONG_KEY = 'Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.';
// botocore answers a 400 on HeadObject by looking up the bucket's region and trying once more
// (S3RegionRedirector, as against Amazon), hence the optional "(reached max retries: 1)".
const HEAD_400 = /An error occurred \(400\) when calling the HeadObject operation(?: \(reached max retries: \d+\))?: Bad Request/;
const HEAD_403 = /An error occurred \(403\) when calling the HeadObject operation(?: \(reached max retries: \d+\))?: Forbidden/;

/** A server like startServer()'s, at debug level, keeping all of its output as bytes. */
interface CapturingServer extends TestServer {
  outputBytes(): Buffer;
}

async function startCapturingServer(): Promise<CapturingServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongbox-ssec-'));
  const root: Credentials = {
    accessKeyId: `TK${randomBytes(9).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRONGBOX_')) env[k] = v;
  env['STRONGBOX_ROOT_ACCESS_KEY'] = root.accessKeyId;
  env['STRONGBOX_ROOT_SECRET_KEY'] = root.secretAccessKey;
  let spawned: Awaited<ReturnType<typeof spawnServe>>;
  try {
    spawned = await spawnServe(['--data', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'debug'], env);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { child, url, output } = spawned;
  // Everything printed before the banner is in output(); everything after, here, unabridged.
  const captured: Buffer[] = [Buffer.from(output(), 'utf8')];
  child.stdout?.on('data', (d: Buffer) => captured.push(d));
  child.stderr?.on('data', (d: Buffer) => captured.push(d));
  const caFile = join(dataDir, 'tls', 'ca.pem');
  const ca = readFileSync(caFile);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await rawRequest({ url, ca }, { method: 'GET', path: '/_strongbox/health' }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server at ${url} not healthy:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));
  return {
    url,
    http: false,
    caFile,
    ca,
    dataDir,
    root,
    pid: child.pid ?? -1,
    output: () => Buffer.concat(captured).toString('utf8'),
    outputBytes: () => Buffer.concat(captured),
    requests: spawned.requests,
    addUser: () => Promise.reject(new Error('not used here')),
    // Keeps the data directory: the scan reads it after the stop; the after() hook removes it.
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** Shared prologue: a client for the endpoint in $STRONGBOX_URL, the work dir in $WORK. */
const PROLOGUE = `
import os, sys, io, json, base64, hashlib
import boto3
from botocore.exceptions import ClientError
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'],
                  config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B = os.environ['BUCKET']
W = os.environ['WORK']
def out(**kw):
    print(json.dumps(kw))
def err(fn, **kw):
    try:
        fn(**kw)
        return None
    except ClientError as e:
        return dict(code=e.response['Error'].get('Code'), message=e.response['Error'].get('Message'),
                    status=e.response['ResponseMetadata']['HTTPStatusCode'])
`;

describe('SSE-C with boto3 and the AWS CLI over https', () => {
  let server: CapturingServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const bucket = `ssec-clients-${process.pid}`;
  const small = pseudoRandomBytes(10_000, 71);
  const large = pseudoRandomBytes(40 * MiB, 72);
  const cliSmall = pseudoRandomBytes(4096, 73);
  const cliLarge = pseudoRandomBytes(20 * MiB, 74);
  const cliKey = labelKey('cli');
  const cliWrongKey = labelKey('cli, wrong');
  /** Every key a client sent in this file, for the scan; boto3's are added from WORK by the scan. */
  const keysUsed = new Map<string, Buffer>([
    ['cli key', cliKey],
    ['cli wrong key', cliWrongKey],
  ]);

  before(async () => {
    server = await startCapturingServer();
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    work = mkdtempSync(join(tmpdir(), 'strongbox-ssec-clients-'));
    writeFileSync(join(work, 'small.bin'), small);
    writeFileSync(join(work, 'large.bin'), large);
    writeFileSync(join(work, 'cli-small.bin'), cliSmall);
    writeFileSync(join(work, 'cli-large.bin'), cliLarge);
    writeFileSync(join(work, 'key.bin'), cliKey);
    writeFileSync(join(work, 'wrong-key.bin'), cliWrongKey);
    env = clientEnv(server, server.root);
  });
  after(async () => {
    s3?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
    if (server) {
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  const py = async (body: string): Promise<Record<string, unknown>> => {
    const r = await runPython(PROLOGUE + body, { ...env, STRONGBOX_URL: server.url, BUCKET: bucket, WORK: work });
    assert.equal(r.code, 0, `python failed (${r.code}):\n${r.stderr}\n${r.stdout}\n--- server ---\n${server.output().slice(-3000)}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  };
  const aws = async (...args: string[]) => {
    const r = await runAws(server, args, env);
    assert.equal(r.code, 0, `aws ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const sseC = (file = 'key.bin') => ['--sse-c', 'AES256', '--sse-c-key', `fileb://${join(work, file)}`];

  it('boto3: upload_fileobj / download_fileobj with ExtraArgs, small and 40 MiB multipart, byte-identical', async () => {
    const r = await py(`
# The key as users keep it: os.urandom(32), saved as hex, converted back with bytes.fromhex.
with open(os.path.join(W, 'boto3-key.hex'), 'w') as f:
    f.write(os.urandom(32).hex())
with open(os.path.join(W, 'boto3-key.hex')) as f:
    key = bytes.fromhex(f.read())
extra = {'SSECustomerAlgorithm': 'AES256', 'SSECustomerKey': key}
parts = []
s3.meta.events.register('before-parameter-build.s3.UploadPart', lambda params, **kw: parts.append(params.get('SSECustomerAlgorithm')))
res = {}
for name in ['small.bin', 'large.bin']:
    with open(os.path.join(W, name), 'rb') as f:
        s3.upload_fileobj(f, B, 'boto3/' + name, ExtraArgs=extra)
    buf = io.BytesIO()
    s3.download_fileobj(B, 'boto3/' + name, buf, ExtraArgs=extra)
    h = s3.head_object(Bucket=B, Key='boto3/' + name, **extra)
    res[name] = dict(sha=hashlib.sha256(buf.getvalue()).hexdigest(), etag=h['ETag'], size=h['ContentLength'],
                     alg=h.get('SSECustomerAlgorithm'), md5=h.get('SSECustomerKeyMD5'), sse=h.get('ServerSideEncryption'))
# A range across the first part boundary (8 MiB), decrypted.
rng = s3.get_object(Bucket=B, Key='boto3/large.bin', Range='bytes=8388000-8389000', **extra)['Body'].read()
out(res=res, parts=parts, range_sha=hashlib.sha256(rng).hexdigest(), key=key.hex())
`);
    const key = Buffer.from(String(r['key']), 'hex');
    assert.equal(key.length, 32);
    const res = r['res'] as Record<string, Record<string, unknown>>;
    const s = res['small.bin'] ?? {};
    const l = res['large.bin'] ?? {};
    assert.equal(s['sha'], sha256(small), 'small object comes back byte-identical');
    assert.equal(l['sha'], sha256(large), '40 MiB object comes back byte-identical');
    assert.equal(s['size'], small.length, 'HEAD reports the plaintext size');
    assert.equal(l['size'], large.length);
    for (const h of [s, l]) {
      assert.equal(h['alg'], 'AES256');
      assert.equal(h['md5'], md5(key).toString('base64'));
      assert.equal(h['sse'], null, 'an SSE-C object is not also reported as SSE-S3 (§2.5)');
    }
    // §2.7: the ETag of an SSE-C object is opaque, never the MD5 of the plaintext.
    assert.match(String(s['etag']), /^"[0-9a-f]{32}"$/);
    assert.notEqual(s['etag'], `"${md5Hex(small)}"`, 'the ETag must not leak MD5(plaintext)');
    assert.match(String(l['etag']), /^"[0-9a-f]{32}-5"$/, 's3transfer uploads 40 MiB as five 8 MiB parts');
    assert.deepEqual(r['parts'], ['AES256', 'AES256', 'AES256', 'AES256', 'AES256'], 'every UploadPart carries the key');
    assert.equal(r['range_sha'], sha256(large.subarray(8_388_000, 8_389_001)));
  });

  it('boto3: head_object/get_object without the key (400) and with a wrong key (403)', async () => {
    const r = await py(`
with open(os.path.join(W, 'boto3-key.hex')) as f:
    key = bytes.fromhex(f.read())
with open(os.path.join(W, 'boto3-wrong.hex'), 'w') as f:
    f.write(os.urandom(32).hex())
with open(os.path.join(W, 'boto3-wrong.hex')) as f:
    wrong = bytes.fromhex(f.read())
res = {}
for name in ['small.bin', 'large.bin']:
    k = 'boto3/' + name
    res[name] = dict(
        head_none=err(s3.head_object, Bucket=B, Key=k),
        head_wrong=err(s3.head_object, Bucket=B, Key=k, SSECustomerAlgorithm='AES256', SSECustomerKey=wrong),
        get_none=err(s3.get_object, Bucket=B, Key=k),
        get_wrong=err(s3.get_object, Bucket=B, Key=k, SSECustomerAlgorithm='AES256', SSECustomerKey=wrong),
        # The double-base64 mistake of spec 2.1: a 44-byte key; reads compare before checking length (2.4).
        get_b64=err(s3.get_object, Bucket=B, Key=k, SSECustomerAlgorithm='AES256', SSECustomerKey=base64.b64encode(key)),
        head_ok=err(s3.head_object, Bucket=B, Key=k, SSECustomerAlgorithm='AES256', SSECustomerKey=key))
out(res=res)
`);
    const res = r['res'] as Record<string, Record<string, unknown>>;
    for (const name of ['small.bin', 'large.bin']) {
      const c = res[name] ?? {};
      assert.deepEqual(c['head_none'], { code: '400', message: 'Bad Request', status: 400 }, `${name}: HEAD without key (§2.4, §10)`);
      assert.deepEqual(c['head_wrong'], { code: '403', message: 'Forbidden', status: 403 }, `${name}: HEAD with a wrong key`);
      assert.deepEqual(c['get_none'], { code: 'InvalidRequest', message: NO_KEY_GET, status: 400 }, `${name}: GET without key`);
      assert.deepEqual(c['get_wrong'], { code: 'AccessDenied', message: WRONG_KEY, status: 403 }, `${name}: GET with a wrong key`);
      assert.deepEqual(c['get_b64'], { code: 'AccessDenied', message: WRONG_KEY, status: 403 }, `${name}: GET with a double-base64 key`);
      assert.equal(c['head_ok'], null, `${name}: HEAD with the right key still works`);
    }
  });

  it('boto3: an 8 MiB part with another key gets the 400 answer, not an SSL error (the server reads what it refuses)', async () => {
    const r = await py(`
key, other = os.urandom(32), os.urandom(32)
up = s3.create_multipart_upload(Bucket=B, Key='boto3/refused-part', SSECustomerAlgorithm='AES256', SSECustomerKey=key)['UploadId']
try:
    res = err(s3.upload_part, Bucket=B, Key='boto3/refused-part', UploadId=up, PartNumber=1, Body=os.urandom(8 * 1024 * 1024),
              SSECustomerAlgorithm='AES256', SSECustomerKey=other)
except Exception as e:  # a transport error, not an S3 answer
    res = dict(transport=type(e).__name__)
s3.abort_multipart_upload(Bucket=B, Key='boto3/refused-part', UploadId=up)
out(res=res)
`);
    assert.deepEqual(r['res'], { code: 'InvalidRequest', message: 'The provided encryption parameters did not match the ones used originally.', status: 400 });
  });

  it('aws s3 cp --sse-c AES256 --sse-c-key fileb://key.bin up and down, small and 20 MiB multipart', async () => {
    await aws('s3', 'cp', join(work, 'cli-small.bin'), `s3://${bucket}/cli/small.bin`, ...sseC());
    await aws('s3', 'cp', `s3://${bucket}/cli/small.bin`, join(work, 'cli-small.out'), ...sseC());
    assert.equal(sha256(readFileSync(join(work, 'cli-small.out'))), sha256(cliSmall));
    // Above the CLI's 8 MiB threshold: CreateMultipartUpload + three UploadParts, then ranged GETs.
    await aws('s3', 'cp', join(work, 'cli-large.bin'), `s3://${bucket}/cli/large.bin`, ...sseC());
    await aws('s3', 'cp', `s3://${bucket}/cli/large.bin`, join(work, 'cli-large.out'), ...sseC());
    assert.equal(sha256(readFileSync(join(work, 'cli-large.out'))), sha256(cliLarge));
    rmSync(join(work, 'cli-large.out'));
    const keyArgs = ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${join(work, 'key.bin')}`];
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'cli/large.bin', ...keyArgs)) as Record<string, unknown>;
    assert.match(String(head['ETag']), /^"[0-9a-f]{32}-3"$/, '20 MiB in 8 MiB parts');
    assert.equal(head['ContentLength'], cliLarge.length);
  });

  it('aws s3 cp of the object without a key fails with 400, with a wrong key with 403', async () => {
    const none = await runAws(server, ['s3', 'cp', `s3://${bucket}/cli/small.bin`, join(work, 'none.out')], env);
    assert.notEqual(none.code, 0, `download without a key succeeded:\n${none.stdout}`);
    assert.match(none.stderr, HEAD_400, none.stderr);
    const wrong = await runAws(server, ['s3', 'cp', `s3://${bucket}/cli/small.bin`, join(work, 'wrong.out'), ...sseC('wrong-key.bin')], env);
    assert.notEqual(wrong.code, 0, `download with a wrong key succeeded:\n${wrong.stdout}`);
    assert.match(wrong.stderr, HEAD_403, wrong.stderr);
    assert.equal(existsSync(join(work, 'none.out')), false);
    assert.equal(existsSync(join(work, 'wrong.out')), false);
    // The multipart object refuses the same way.
    const big = await runAws(server, ['s3', 'cp', `s3://${bucket}/cli/large.bin`, join(work, 'none-large.out')], env);
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, HEAD_400, big.stderr);
  });

  it('aws s3 ls lists SSE-C objects with their plaintext sizes, no key needed', async () => {
    const cli = await aws('s3', 'ls', `s3://${bucket}/cli/`);
    assert.match(cli, new RegExp(`\\s${cliSmall.length} small\\.bin$`, 'm'), cli);
    assert.match(cli, new RegExp(`\\s${cliLarge.length} large\\.bin$`, 'm'), cli);
    const boto = await aws('s3', 'ls', `s3://${bucket}/boto3/`);
    assert.match(boto, new RegExp(`\\s${small.length} small\\.bin$`, 'm'), boto);
    assert.match(boto, new RegExp(`\\s${large.length} large\\.bin$`, 'm'), boto);
  });

  it('aws s3api head-object --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin', async () => {
    const keyArgs = ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${join(work, 'key.bin')}`];
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'cli/small.bin', ...keyArgs)) as Record<string, unknown>;
    assert.equal(head['SSECustomerAlgorithm'], 'AES256');
    assert.equal(head['SSECustomerKeyMD5'], md5(cliKey).toString('base64'));
    assert.equal(head['ContentLength'], cliSmall.length);
    assert.equal(head['ServerSideEncryption'], undefined);
    assert.match(String(head['ETag']), /^"[0-9a-f]{32}"$/);
    assert.notEqual(head['ETag'], `"${md5Hex(cliSmall)}"`, 'the ETag must not leak MD5(plaintext) (§2.7)');
    const r = await runAws(server, ['s3api', 'head-object', '--bucket', bucket, '--key', 'cli/small.bin'], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\(400\).*Bad Request/);
  });

  it('secrets scan: no key, in any encoding, nor its MD5, under the data directory or in the server output', async () => {
    // boto3's keys, as the scripts saved them (even if a later step of theirs failed).
    for (const [label, file] of [['boto3 key', 'boto3-key.hex'], ['boto3 wrong key', 'boto3-wrong.hex']] as const) {
      if (existsSync(join(work, file))) keysUsed.set(label, Buffer.from(readFileSync(join(work, file), 'utf8').trim(), 'hex'));
    }
    assert.equal(keysUsed.get('boto3 key')?.length, 32, 'the boto3 test ran far enough to choose its key');
    assert.equal(keysUsed.size, 4, [...keysUsed.keys()].join(', '));
    const needles: { name: string; bytes: Buffer }[] = [];
    for (const [label, k] of keysUsed) {
      const m = md5(k);
      const forms: [string, Buffer][] = [
        ['raw', k],
        ['base64', Buffer.from(k.toString('base64'))],
        ['base64url', Buffer.from(k.toString('base64url'))],
        ['hex', Buffer.from(k.toString('hex'))],
        ['HEX', Buffer.from(k.toString('hex').toUpperCase())],
        ['MD5 raw', m],
        ['MD5 base64', Buffer.from(m.toString('base64'))],
        ['MD5 hex', Buffer.from(m.toString('hex'))],
        ['MD5 HEX', Buffer.from(m.toString('hex').toUpperCase())],
      ];
      for (const [form, bytes] of forms) needles.push({ name: `${label} (${form})`, bytes });
    }
    // A control: the bucket name is in the metadata, so a scan that reads nothing cannot pass.
    const control = Buffer.from(bucket);
    const scanDir = async (when: string): Promise<{ hits: string[]; files: string[]; control: number }> => {
      const files = await listFiles(server.dataDir);
      const hits: string[] = [];
      let seen = 0;
      for (const f of files) {
        let data: Buffer;
        try {
          data = await readFile(f);
        } catch (err) {
          // A temp file may vanish between listing and reading while the server runs.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        if (data.includes(control)) seen++;
        for (const n of needles) if (data.includes(n.bytes)) hits.push(`${when}: ${relative(server.dataDir, f)} holds ${n.name}`);
      }
      return { hits, files: files.map((f) => relative(server.dataDir, f)), control: seen };
    };

    const running = await scanDir('while running');
    assert.ok(
      running.files.some((f) => f.endsWith('-wal')),
      `the metadata WAL is among the files scanned while running: ${running.files.join(', ')}`,
    );
    assert.ok(running.control > 0, 'the scan reads the metadata (the bucket name is found)');
    await server.stop();
    const afterStop = await scanDir('after stop');
    assert.ok(afterStop.control > 0, 'the scan reads the metadata after the stop');
    const output = server.outputBytes();
    assert.match(output.toString('utf8'), /UploadPart/, 'the captured output covers the requests of this run');
    const outHits = needles.filter((n) => output.includes(n.bytes)).map((n) => `server output holds ${n.name}`);
    assert.deepEqual([...running.hits, ...afterStop.hits, ...outHits], [], 'secrets found');
  });
});
