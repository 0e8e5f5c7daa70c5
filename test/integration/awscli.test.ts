/**
 * The AWS CLI (v1, botocore) against the server over HTTPS and HTTP: mb, cp (small and a
 * 20 MiB multipart), ls, sync, rm --recursive and s3api head-object.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { TRANSPORTS, clientEnv, fetchUrl, runAws, s3Client, startServer, type TestServer } from './harness.js';
import { md5Hex, multipartEtag, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';

const MiB = 1024 * 1024;

for (const transport of TRANSPORTS) {
  describe(`aws cli over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let work: string;
    let env: NodeJS.ProcessEnv;
    const bucket = `cli-${transport.name}-${process.pid}`;
    const small = pseudoRandomBytes(4096, 41);
    const large = pseudoRandomBytes(20 * MiB, 42);

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      work = mkdtempSync(join(tmpdir(), 'strongbox-cli-'));
      writeFileSync(join(work, 'small.bin'), small);
      writeFileSync(join(work, 'large.bin'), large);
      env = clientEnv(server, server.root);
    });
    after(async () => {
      s3?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
      await server?.stop();
    });

    const aws = async (...args: string[]) => {
      const r = await runAws(server, args, env);
      assert.equal(r.code, 0, `aws ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
      return r.stdout;
    };
    const keys = async (prefix = '') =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((c) => c.Key ?? '').sort();

    it('aws s3 mb creates the bucket', async () => {
      const out = await aws('s3', 'mb', `s3://${bucket}`);
      assert.match(out, new RegExp(`make_bucket: ${bucket}`));
      const ls = await aws('s3', 'ls');
      assert.match(ls, new RegExp(`\\s${bucket}\\s*$`, 'm'));
    });

    it('aws s3 cp uploads and downloads a small file', async () => {
      await aws('s3', 'cp', join(work, 'small.bin'), `s3://${bucket}/cp/small.bin`);
      await aws('s3', 'cp', `s3://${bucket}/cp/small.bin`, join(work, 'small.out'));
      assert.equal(sha256(readFileSync(join(work, 'small.out'))), sha256(small));
    });

    it('aws s3 cp of 20 MiB goes multipart and comes back identical', async () => {
      // The CLI's default 8 MiB chunks: 8 + 8 + 4 MiB.
      await aws('s3', 'cp', join(work, 'large.bin'), `s3://${bucket}/cp/large.bin`);
      await aws('s3', 'cp', `s3://${bucket}/cp/large.bin`, join(work, 'large.out'));
      assert.equal(sha256(readFileSync(join(work, 'large.out'))), sha256(large));
      rmSync(join(work, 'large.out'));
      const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'cp/large.bin')) as Record<string, unknown>;
      assert.equal(head['ContentLength'], large.length);
      assert.equal(head['ETag'], multipartEtag([large.subarray(0, 8 * MiB), large.subarray(8 * MiB, 16 * MiB), large.subarray(16 * MiB)]));
    });

    it('aws s3 cp - (stdin, size unknown) uploads a 12 MiB stream', async () => {
      const piped = pseudoRandomBytes(12 * MiB, 43);
      const r = await runAws(server, ['s3', 'cp', '-', `s3://${bucket}/stdin/piped.bin`], env, piped);
      assert.equal(r.code, 0, r.stderr);
      const down = await runAws(server, ['s3', 'cp', `s3://${bucket}/stdin/piped.bin`, join(work, 'piped.out')], env);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(sha256(readFileSync(join(work, 'piped.out'))), sha256(piped));
      await aws('s3', 'rm', `s3://${bucket}/stdin/piped.bin`);
    });

    it('aws s3 cp with --content-type and --metadata, and aws s3 presign', async () => {
      await aws('s3', 'cp', join(work, 'small.bin'), `s3://${bucket}/meta/small.bin`, '--content-type', 'application/x-cli', '--metadata', 'origin=cli,n=1');
      const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'meta/small.bin')) as Record<string, unknown>;
      assert.equal(head['ContentType'], 'application/x-cli');
      assert.deepEqual(head['Metadata'], { origin: 'cli', n: '1' });
      // CLI v1 presigns with SigV2 unless told otherwise; Strongbox (like new AWS regions) takes SigV4 only.
      const config = join(work, 'aws-config');
      writeFileSync(config, '[default]\ns3 =\n    signature_version = s3v4\n');
      const pr = await runAws(server, ['s3', 'presign', `s3://${bucket}/meta/small.bin`, '--expires-in', '300'], { ...env, AWS_CONFIG_FILE: config });
      assert.equal(pr.code, 0, pr.stderr);
      const url = pr.stdout.trim();
      assert.match(url, /X-Amz-Signature=/);
      const res = await fetchUrl(server, url);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.equals(small));
      await aws('s3', 'rm', `s3://${bucket}/meta/small.bin`);
    });

    it('aws s3 ls lists objects and prefixes', async () => {
      const top = await aws('s3', 'ls', `s3://${bucket}/`);
      assert.match(top, /PRE cp\//);
      const inside = await aws('s3', 'ls', `s3://${bucket}/cp/`);
      assert.match(inside, new RegExp(`\\s${small.length} small\\.bin`));
      assert.match(inside, new RegExp(`\\s${large.length} large\\.bin`));
      const rec = await aws('s3', 'ls', '--recursive', `s3://${bucket}`);
      assert.equal(rec.trim().split('\n').length, 2);
    });

    it('aws s3api head-object shows metadata; a missing key fails with 404', async () => {
      const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'cp/small.bin')) as Record<string, unknown>;
      assert.equal(head['ContentLength'], small.length);
      assert.equal(head['ETag'], `"${md5Hex(small)}"`);
      const r = await runAws(server, ['s3api', 'head-object', '--bucket', bucket, '--key', 'cp/none'], env);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /404|Not Found/);
    });

    it('aws s3 sync uploads a tree, then only what changed, and syncs back down', async () => {
      const tree = join(work, 'tree');
      mkdirSync(join(tree, 'sub', 'deeper'), { recursive: true });
      const files: Record<string, string> = { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/deeper/c d.txt': 'charlie', 'sub/\u00fcml.txt': 'umlaut' };
      // Written a minute ago: `aws s3 sync` re-uploads a file whose mtime is later than the object's
      // LastModified, which has whole seconds, so a file written in the upload's second would go again.
      const past = new Date(Date.now() - 60_000);
      for (const [p, c] of Object.entries(files)) {
        writeFileSync(join(tree, p), c);
        utimesSync(join(tree, p), past, past);
      }
      const first = await aws('s3', 'sync', tree, `s3://${bucket}/tree`);
      assert.equal((first.match(/upload:/g) ?? []).length, 4, first);
      assert.deepEqual(await keys('tree/'), Object.keys(files).map((p) => `tree/${p}`).sort());
      const again = await aws('s3', 'sync', tree, `s3://${bucket}/tree`);
      assert.equal((again.match(/upload:/g) ?? []).length, 0, `nothing changed: ${again}`);
      writeFileSync(join(tree, 'a.txt'), 'alpha, longer now');
      const changed = await aws('s3', 'sync', tree, `s3://${bucket}/tree`);
      assert.equal((changed.match(/upload:/g) ?? []).length, 1, changed);
      const down = join(work, 'down');
      await aws('s3', 'sync', `s3://${bucket}/tree`, down);
      for (const [p, c] of Object.entries(files)) {
        assert.equal(readFileSync(join(down, p), 'utf8'), p === 'a.txt' ? 'alpha, longer now' : c, p);
      }
    });

    it('aws s3 rm --recursive empties a prefix, and rb removes the bucket', async () => {
      const out = await aws('s3', 'rm', '--recursive', `s3://${bucket}/tree`);
      assert.equal((out.match(/delete:/g) ?? []).length, 4, out);
      assert.deepEqual(await keys('tree/'), []);
      assert.equal((await keys()).length, 2);
      await aws('s3', 'rm', '--recursive', `s3://${bucket}`);
      assert.deepEqual(await keys(), []);
      await aws('s3', 'rb', `s3://${bucket}`);
      const ls = await aws('s3', 'ls');
      assert.doesNotMatch(ls, new RegExp(bucket));
    });
  });
}
