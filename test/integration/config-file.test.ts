/**
 * Issue 15: `strongbox serve --config FILE` alone. The server serves HTTPS with the file's
 * limits in force (a 1 s body idle timeout cuts a stalled body) and its root credentials,
 * the secret read from a file named in the config, sign requests; configuration errors exit 2
 * naming the key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { ChildProcess } from 'node:child_process';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { bodyBytes, bucketName, runCli, s3Client, spawnServe, xmlCode } from './harness.js';
import { signRequest } from './fixtures/sigv4.js';

/** The environment without any STRONGBOX_ variable, so that only the file configures the server. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRONGBOX_')) env[k] = v;
  return env;
}

const ROOT = { accessKeyId: 'CONFIGROOT', secretAccessKey: 'secret-from-a-file-0123456789' };

describe('serve --config FILE', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let ca: Buffer;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-config-it-'));
    writeFileSync(join(dir, 'root-secret'), `${ROOT.secretAccessKey}\n`, { mode: 0o600 });
    const config = [
      '[server]',
      'listen = "127.0.0.1:0"',
      '[storage]',
      `data = ${JSON.stringify(join(dir, 'data'))}`,
      'min-free-space = "64MiB"',
      '[root]',
      `root-access-key = "${ROOT.accessKeyId}"`,
      `root-secret-key-file = ${JSON.stringify(join(dir, 'root-secret'))}`,
      '[limits]',
      'body-idle-timeout = 1',
      '[logging]',
      'log-level = "warn"',
    ].join('\n');
    writeFileSync(join(dir, 'strongbox.toml'), config);
    const spawned = await spawnServe(['--config', join(dir, 'strongbox.toml')], cleanEnv());
    child = spawned.child;
    url = spawned.url;
    assert.match(url, /^https:\/\//, 'HTTPS unless the file says http = true');
    ca = readFileSync(join(dir, 'data', 'tls', 'ca.pem'));
    s3 = s3Client({ url, ca }, ROOT);
    bucket = bucketName('config');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts requests signed with the root credentials whose secret is read from a file', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'configured' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'configured');
  });

  it("cuts a stalled body after the file's body-idle-timeout", async () => {
    const u = new URL(url);
    const path = `/${bucket}/slow`;
    const signed = signRequest({ method: 'PUT', path, headers: { host: u.host, 'content-length': '1000' }, payloadHash: 'UNSIGNED-PAYLOAD', creds: ROOT, date: new Date() });
    const head = `PUT ${path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    const socket = tls.connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const started = Date.now();
    socket.write(head + 'x'.repeat(10));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not cut off within 15 s (the default is 20 s); received:\n${text}`)), 15_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    assert.match(text, /^HTTP\/1\.1 400 /, text);
    assert.equal(xmlCode(text), 'RequestTimeout', text);
    assert.ok(Date.now() - started < 15_000);
  });

  it('--print-config shows the file as the source and redacts the secret', async () => {
    const r = await runCli(['serve', '--config', join(dir, 'strongbox.toml'), '--print-config', '--region', 'eu-west-1'], cleanEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^body-idle-timeout = "1"  # config file .*: limits\.body-idle-timeout$/m);
    assert.match(r.stdout, /^region = "eu-west-1"  # --region$/m);
    assert.match(r.stdout, /^root-secret-key = \(redacted, from file /m);
    assert.ok(!r.stdout.includes(ROOT.secretAccessKey));
  });
});

describe('serve: configuration errors exit 2 and name the key', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-config-bad-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string, NodeJS.ProcessEnv, RegExp][] = [
    ['a bad value', '[limits]\nbody-idle-timeout = "fast"\n', {}, /config file .*strongbox\.toml: limits\.body-idle-timeout: expected a number of seconds.*got "fast"/],
    ['an unknown key', '[limits]\nbody-idle-timout = 1\n', {}, /config file .*: limits\.body-idle-timout: unknown key/],
    ['an inline secret', '[root]\nroot-secret-key = "hunter2hunter2"\n', {}, /root\.root-secret-key: a secret is not accepted inline/],
    ['a bad environment variable', '', { STRONGBOX_MAX_REQUESTS_IN_FLIGHT: 'lots' }, /^strongbox: STRONGBOX_MAX_REQUESTS_IN_FLIGHT: expected a whole number/],
  ];
  for (const [what, text, env, message] of cases) {
    it(what, async () => {
      const file = join(dir, 'strongbox.toml');
      writeFileSync(file, text);
      const r = await runCli(['serve', '--config', file, '--data', join(dir, 'data')], { ...cleanEnv(), ...env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('a secret flag does not exist: the secret would be on argv', async () => {
    const r = await runCli(['serve', '--root-secret-key', 'hunter2hunter2', '--data', join(dir, 'data')], cleanEnv());
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown option '--root-secret-key'/);
  });
});
