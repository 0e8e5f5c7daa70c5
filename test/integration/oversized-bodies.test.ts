/**
 * Issue 14, defect 6: a request document far over its cap (a 100 MB CompleteMultipartUpload
 * or DeleteObjects body, cap 8 MiB) must reach the client as 400 MaxMessageLengthExceeded,
 * not as a connection reset. The server answers at once with `Connection: close`, reads and
 * drops the rest up to a bound, then closes; curl (which reads while it sends) and botocore
 * (which sends everything before it reads) must both see the error, over HTTP and HTTPS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectsCommand, CompleteMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { TRANSPORTS, bucketName, clientEnv, run, runPython, s3Client, startServer, xmlCode, type TestServer } from './harness.js';

const MiB = 1024 * 1024;
/** Far over the 8 MiB cap and over the server's drain bound, so the connection must close early. */
const HUGE = 100 * MiB;

const BOTO = `
import os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'],
                  config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B = os.environ['BUCKET']
huge = b' ' * int(os.environ['HUGE'])

def replace_body(request, **kwargs):
    # The 100 MB document goes out in place of the real one: only its size matters.
    request.data = huge

def attempt(name, call):
    try:
        call()
        print(name, 'OK')
    except ClientError as e:
        print(name, e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Code'])
    except Exception as e:
        print(name, 'TRANSPORT', type(e).__name__, str(e).replace('\\n', ' ')[:200])

s3.meta.events.register('before-sign.s3.CompleteMultipartUpload', replace_body)
s3.meta.events.register('before-sign.s3.DeleteObjects', replace_body)
upload = s3.create_multipart_upload(Bucket=B, Key='big-complete')['UploadId']
attempt('complete', lambda: s3.complete_multipart_upload(Bucket=B, Key='big-complete', UploadId=upload,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': '"0123456789abcdef0123456789abcdef"'}]}))
attempt('delete', lambda: s3.delete_objects(Bucket=B, Delete={'Objects': [{'Key': 'a'}]}))
# The server is still fine afterwards, on a new connection.
attempt('list', lambda: s3.list_objects_v2(Bucket=B))
`;

for (const transport of TRANSPORTS) {
  describe(`oversized request documents over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;
    let dir: string;
    let hugeFile: string;

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('oversized');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      dir = mkdtempSync(join(tmpdir(), 'strongbox-oversized-'));
      hugeFile = join(dir, 'huge.xml');
      writeFileSync(hugeFile, Buffer.alloc(HUGE, ' '));
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    /** POSTs the 100 MB file to a presigned URL with curl; returns status, body and curl's exit code. */
    async function curlPost(url: string, headers: readonly string[] = []) {
      const args = ['-sS', '-X', 'POST', '--data-binary', `@${hugeFile}`, '-H', 'Content-Type: application/xml', '-H', 'Expect:'];
      for (const h of headers) args.push('-H', h);
      if (server.caFile !== undefined) args.push('--cacert', server.caFile);
      args.push('-w', '\n%{http_code}', url);
      const r = await run('curl', args, { timeoutMs: 120_000 });
      const lines = r.stdout.trimEnd().split('\n');
      const status = Number(lines.pop());
      return { code: r.code, status, body: lines.join('\n'), stderr: r.stderr };
    }

    it('curl: a 100 MB CompleteMultipartUpload body gets 400 MaxMessageLengthExceeded', async () => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'curl-complete' }));
      const url = await getSignedUrl(s3, new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'curl-complete', UploadId }), { expiresIn: 600 });
      const r = await curlPost(url);
      assert.equal(r.code, 0, `curl failed: ${r.stderr}`);
      assert.equal(r.status, 400, r.body);
      assert.equal(xmlCode(r.body), 'MaxMessageLengthExceeded', r.body);
    });

    it('curl: a 100 MB DeleteObjects body gets 400 MaxMessageLengthExceeded', async () => {
      const url = await getSignedUrl(s3, new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'a' }] } }), {
        expiresIn: 600,
        unsignableHeaders: new Set(['content-length']),
      });
      // DeleteObjects needs a digest header before its body is read; its value is never reached.
      const r = await curlPost(url, ['Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==']);
      assert.equal(r.code, 0, `curl failed: ${r.stderr}`);
      assert.equal(r.status, 400, r.body);
      assert.equal(xmlCode(r.body), 'MaxMessageLengthExceeded', r.body);
    });

    it('botocore: 100 MB Complete and DeleteObjects bodies get 400 MaxMessageLengthExceeded', async () => {
      const env = { ...clientEnv(server, server.root), STRONGBOX_URL: server.url, BUCKET: bucket, HUGE: String(HUGE) };
      const r = await runPython(BOTO, env);
      assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      assert.deepEqual(lines, ['complete 400 MaxMessageLengthExceeded', 'delete 400 MaxMessageLengthExceeded', 'list OK'], r.stdout);
    });
  });
}
