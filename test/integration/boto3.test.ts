/**
 * boto3 against the server, over HTTPS (botocore sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with
 * a CRC32 trailer) and HTTP (signed SHA-256 payload + x-amz-checksum-crc32 header), spec §9.1.
 * Each case is one python script; it prints JSON that the test checks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRANSPORTS, clientEnv, runPython, startServer, type TestServer } from './harness.js';
import { md5Hex, multipartEtag, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';

const MiB = 1024 * 1024;

/** Shared prologue: a client for the endpoint in $STRONGBOX_URL. */
const PROLOGUE = `
import os, sys, json, hashlib
import boto3
from botocore.exceptions import ClientError
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'],
                  config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B = os.environ['BUCKET']
def out(**kw):
    print(json.dumps(kw))
`;

async function py(server: TestServer, bucket: string, body: string, extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const env = { ...clientEnv(server, server.root), STRONGBOX_URL: server.url, BUCKET: bucket, ...extraEnv };
  const r = await runPython(PROLOGUE + body, env);
  assert.equal(r.code, 0, `python failed (${r.code}):\n${r.stderr}\n${r.stdout}\n--- server ---\n${server.output().slice(-3000)}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
}

for (const transport of TRANSPORTS) {
  describe(`boto3 over ${transport.name}`, () => {
    let server: TestServer;
    let work: string;
    const bucket = `boto3-${transport.name}-${process.pid}`;
    const small = pseudoRandomBytes(10_000, 31);
    const large = pseudoRandomBytes(40 * MiB, 32);

    before(async () => {
      server = await startServer({ http: transport.http });
      work = mkdtempSync(join(tmpdir(), 'strongbox-boto3-'));
      writeFileSync(join(work, 'small.bin'), small);
      writeFileSync(join(work, 'large.bin'), large);
      await py(server, bucket, `s3.create_bucket(Bucket=B)\nout(ok=True)`);
    });
    after(async () => {
      if (work) rmSync(work, { recursive: true, force: true });
      await server?.stop();
    });

    it('upload_file / download_file of a small file round-trips', async () => {
      const r = await py(
        server,
        bucket,
        `
src, dst = os.path.join(os.environ['WORK'], 'small.bin'), os.path.join(os.environ['WORK'], 'small.out')
s3.upload_file(src, B, 'small.bin')
s3.download_file(B, 'small.bin', dst)
h = s3.head_object(Bucket=B, Key='small.bin')
out(sha=hashlib.sha256(open(dst,'rb').read()).hexdigest(), etag=h['ETag'], size=h['ContentLength'])
`,
        { WORK: work },
      );
      assert.equal(r['sha'], sha256(small));
      assert.equal(r['etag'], `"${md5Hex(small)}"`);
      assert.equal(r['size'], small.length);
    });

    it('upload_file / download_file of 40 MiB uses multipart and is byte-identical', async () => {
      const r = await py(
        server,
        bucket,
        `
from boto3.s3.transfer import TransferConfig
cfg = TransferConfig(multipart_threshold=8*1024*1024, multipart_chunksize=8*1024*1024, max_concurrency=4)
src, dst = os.path.join(os.environ['WORK'], 'large.bin'), os.path.join(os.environ['WORK'], 'large.out')
s3.upload_file(src, B, 'large.bin', Config=cfg)
s3.download_file(B, 'large.bin', dst, Config=cfg)
h = s3.head_object(Bucket=B, Key='large.bin', ChecksumMode='ENABLED')
out(sha=hashlib.sha256(open(dst,'rb').read()).hexdigest(), etag=h['ETag'], size=h['ContentLength'])
os.remove(dst)
`,
        { WORK: work },
      );
      assert.equal(r['sha'], sha256(large));
      assert.equal(r['size'], large.length);
      const parts = [];
      for (let off = 0; off < large.length; off += 8 * MiB) parts.push(large.subarray(off, off + 8 * MiB));
      assert.equal(r['etag'], multipartEtag(parts), 'multipart ETag of five 8 MiB parts');
    });

    it('put_object / get_object with metadata and content headers', async () => {
      const r = await py(
        server,
        bucket,
        `
sent = []
s3.meta.events.register('before-send.s3.PutObject', lambda request, **kw: sent.append(request.headers))
p = s3.put_object(Bucket=B, Key='meta/obj.txt', Body=b'hello boto3', Metadata={'color': 'red', 'owner-name': 'Ada'},
                  ContentType='text/plain; charset=utf-8', CacheControl='no-store', ContentDisposition='inline')
g = s3.get_object(Bucket=B, Key='meta/obj.txt')
body = g['Body'].read()
def h(name):
    v = sent[-1].get(name)
    return v.decode() if isinstance(v, bytes) else v
out(sha_mode=h('x-amz-content-sha256'), trailer=h('x-amz-trailer'), crc_header=h('x-amz-checksum-crc32'), put_etag=p['ETag'], put_crc=p.get('ChecksumCRC32'), body=body.decode(), meta=g['Metadata'], ctype=g['ContentType'],
    cache=g.get('CacheControl'), disp=g.get('ContentDisposition'), crc=g.get('ChecksumCRC32'), length=g['ContentLength'])
`,
      );
      // Spec §9.1: the trailer path over HTTPS, a signed hash plus checksum header over HTTP.
      if (transport.http) {
        assert.match(String(r['sha_mode']), /^[0-9a-f]{64}$/);
        assert.equal(typeof r['crc_header'], 'string');
      } else {
        assert.equal(r['sha_mode'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
        assert.equal(r['trailer'], 'x-amz-checksum-crc32');
      }
      assert.equal(r['body'], 'hello boto3');
      assert.equal(r['put_etag'], `"${md5Hex(Buffer.from('hello boto3'))}"`);
      assert.deepEqual(r['meta'], { color: 'red', 'owner-name': 'Ada' });
      assert.equal(r['ctype'], 'text/plain; charset=utf-8');
      assert.equal(r['cache'], 'no-store');
      assert.equal(r['disp'], 'inline');
      assert.equal(r['length'], 11);
      // botocore sends CRC32 by default and asks for it back (x-amz-checksum-mode: ENABLED).
      assert.equal(r['put_crc'], r['crc']);
      assert.ok(typeof r['crc'] === 'string' && r['crc'].length === 8, `CRC32 returned: ${String(r['crc'])}`);
    });

    it('list_objects_v2 paginator walks every page', async () => {
      const r = await py(
        server,
        bucket,
        `
keys = ['pg/%03d-%s' % (i, s) for i, s in enumerate(['a', 'b c', 'd+e', '\u00e9', '\u65e5'] * 9)]
for k in keys:
    s3.put_object(Bucket=B, Key=k, Body=k.encode())
pages = list(s3.get_paginator('list_objects_v2').paginate(Bucket=B, Prefix='pg/', PaginationConfig={'PageSize': 7}))
got = [o['Key'] for p in pages for o in p.get('Contents', [])]
out(n=len(pages), got=got, want=sorted(keys, key=lambda k: k.encode()))
`,
      );
      assert.equal(r['n'], Math.ceil(45 / 7));
      assert.deepEqual(r['got'], r['want']);
    });

    it('delete_objects, copy_object and a NoSuchKey ClientError', async () => {
      const r = await py(
        server,
        bucket,
        `
for k in ['del/1', 'del/2', 'del/3']:
    s3.put_object(Bucket=B, Key=k, Body=b'x')
d = s3.delete_objects(Bucket=B, Delete={'Objects': [{'Key': 'del/1'}, {'Key': 'del/2'}, {'Key': 'del/3'}]})
left = s3.list_objects_v2(Bucket=B, Prefix='del/').get('KeyCount')
s3.put_object(Bucket=B, Key='cp/src', Body=b'copy me', Metadata={'m': '1'})
c = s3.copy_object(Bucket=B, Key='cp/dst', CopySource={'Bucket': B, 'Key': 'cp/src'})
g = s3.get_object(Bucket=B, Key='cp/dst')
try:
    s3.get_object(Bucket=B, Key='does/not/exist')
    code = None
except ClientError as e:
    code, status, key = e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error'].get('Key')
try:
    s3.head_object(Bucket=B, Key='does/not/exist')
    hcode = None
except ClientError as e:
    hcode = e.response['Error']['Code']
out(deleted=sorted(x['Key'] for x in d.get('Deleted', [])), left=left, copy_etag=c['CopyObjectResult']['ETag'],
    copy_body=g['Body'].read().decode(), copy_meta=g['Metadata'], code=code, status=status, key=key, hcode=hcode)
`,
      );
      assert.deepEqual(r['deleted'], ['del/1', 'del/2', 'del/3']);
      assert.equal(r['left'], 0);
      assert.equal(r['copy_etag'], `"${md5Hex(Buffer.from('copy me'))}"`);
      assert.equal(r['copy_body'], 'copy me');
      assert.deepEqual(r['copy_meta'], { m: '1' });
      assert.equal(r['code'], 'NoSuchKey');
      assert.equal(r['status'], 404);
      assert.equal(r['key'], 'does/not/exist');
      assert.equal(r['hcode'], '404', 'HEAD errors have no body: boto3 reports the status (spec §10)');
    });

    it('a wrong Content-MD5 is refused with BadDigest', async () => {
      const r = await py(
        server,
        bucket,
        `
import base64
try:
    s3.put_object(Bucket=B, Key='bad-md5', Body=b'payload', ContentMD5=base64.b64encode(hashlib.md5(b'other').digest()).decode())
    code = None
except ClientError as e:
    code = e.response['Error']['Code']
out(code=code, listed=s3.list_objects_v2(Bucket=B, Prefix='bad-md5').get('KeyCount'))
`,
      );
      assert.equal(r['code'], 'BadDigest');
      assert.equal(r['listed'], 0);
    });
  });
}
