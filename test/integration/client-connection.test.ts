/**
 * How the client commands (`strongbox cp / ls / verify / rotate`) find the endpoint, the
 * credentials and the CA, as the AWS SDKs do (issue 5: "works against any S3"): AWS_ENDPOINT_URL
 * instead of --endpoint, a named profile of the shared credentials and config files, --ca-bundle
 * instead of AWS_CA_BUNDLE; and the clear failures when one of them is wrong.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MAIN_JS, bucketName, clientEnv, run, s3Client, startServer, type TestServer } from './harness.js';

describe('client commands: endpoint, credentials and CA as the AWS SDKs find them', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  const bucket = bucketName('conn');

  const strongbox = (args: readonly string[], env: NodeJS.ProcessEnv) => run(process.execPath, [MAIN_JS, ...args], { env, timeoutMs: 60_000 });
  /** clientEnv without the credentials or the CA: each test adds what it means to test. */
  const bareEnv = (): NodeJS.ProcessEnv => {
    const env = clientEnv(server, server.root);
    delete env['AWS_ACCESS_KEY_ID'];
    delete env['AWS_SECRET_ACCESS_KEY'];
    delete env['AWS_CA_BUNDLE'];
    return env;
  };

  before(async () => {
    server = await startServer();
    s3 = s3Client(server);
    work = mkdtempSync(join(tmpdir(), 'sb-conn-'));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello' }));
  });
  after(async () => {
    s3.destroy();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('AWS_ENDPOINT_URL and the environment credentials stand for --endpoint', async () => {
    const env = { ...clientEnv(server, server.root), AWS_ENDPOINT_URL: server.url };
    const r = await strongbox(['ls', `s3://${bucket}`], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\t5\tSSE-S3\t-\thello\.txt$/m);
  });

  it('a profile of the shared credentials and config files, with --ca-bundle', async () => {
    const credentials = join(work, 'credentials');
    const config = join(work, 'config');
    await writeFile(credentials, `[default]\naws_access_key_id = AKIANOTTHEONE\naws_secret_access_key = wrong\n\n[strongbox-test]\naws_access_key_id = ${server.root.accessKeyId}\naws_secret_access_key = ${server.root.secretAccessKey}\n`);
    await writeFile(config, '[profile strongbox-test]\nregion = us-east-1\n');
    const env = { ...bareEnv(), AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config };
    const args = ['ls', `s3://${bucket}`, '--endpoint', server.url, '--ca-bundle', server.caFile!];
    const r = await strongbox([...args, '--profile', 'strongbox-test'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello\.txt$/m);
    // The default profile's key is not a user of this server: Amazon's code, exit 1.
    const denied = await strongbox(args, env);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /InvalidAccessKeyId \(403\)/);
  });

  it('without the server CA the TLS failure is named, and --no-verify-ssl gets through', async () => {
    const env = { ...bareEnv(), AWS_ACCESS_KEY_ID: server.root.accessKeyId, AWS_SECRET_ACCESS_KEY: server.root.secretAccessKey };
    const args = ['ls', `s3://${bucket}`, '--endpoint', server.url];
    const r = await strongbox(args, env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certificate/i);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const insecure = await strongbox([...args, '--no-verify-ssl'], env);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.match(insecure.stdout, /hello\.txt$/m);
  });

  it('bad --endpoint, --ca-bundle and --addressing-style values are usage errors', async () => {
    const env = clientEnv(server, server.root);
    for (const [args, message] of [
      [['--endpoint', 'localhost:9000'], /endpoint "localhost:9000" is not an http:\/\/ or https:\/\/ URL/],
      [['--endpoint', server.url, '--ca-bundle', join(work, 'missing.pem')], /CA bundle .*missing\.pem cannot be read/],
      [['--endpoint', server.url, '--addressing-style', 'sideways'], /--addressing-style must be path or virtual/],
    ] as const) {
      const r = await strongbox(['ls', `s3://${bucket}`, ...args], env);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
