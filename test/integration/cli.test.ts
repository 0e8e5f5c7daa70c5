/**
 * The `strongbox` command line: help texts, first start (root credentials file and banner),
 * and `user add|list|remove` against a running server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { expectS3Error, parseCredentialLines, runCli, s3Client, spawnServe, startServer, type TestServer } from './harness.js';

/** Our environment without STRONGBOX_* variables, so the server makes its own root. */
function envWithoutRoot(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRONGBOX_')) env[k] = v;
  return env;
}

describe('strongbox CLI', () => {
  it('--help lists the commands', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /serve/);
    assert.match(r.stdout, /user/);
  });

  it('serve --help documents every flag', async () => {
    const r = await runCli(['serve', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const flag of ['--data', '--listen', '--http', '--tls-cert', '--tls-key', '--domain']) {
      assert.match(r.stdout, new RegExp(`${flag}\\b[^\\n]*\\S+`), `${flag} is documented`);
    }
    assert.match(r.stdout, /STRONGBOX_ROOT_ACCESS_KEY/);
  });

  it('user --help lists add, list and remove', async () => {
    const r = await runCli(['user', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const sub of ['add', 'list', 'remove']) assert.match(r.stdout, new RegExp(`\\b${sub}\\b`));
  });

  it('refuses a bad --listen with a message naming the flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongbox-cli-'));
    try {
      const r = await runCli(['serve', '--data', dir, '--listen', 'not-an-address'], envWithoutRoot());
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /--listen/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('first start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongbox-first-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('creates root-credentials (0600), prints endpoint, CA and credentials; they work; a restart keeps them', async () => {
      const first = await spawnServe(['--data', dir, '--listen', '127.0.0.1:0', '--log-level', 'warn'], envWithoutRoot());
      let creds;
      try {
        await waitFor(() => /AWS_SECRET_ACCESS_KEY=/.test(first.output()));
        const text = first.output();
        assert.match(text, /export AWS_ENDPOINT_URL=https:\/\/\S+/);
        const ca = /AWS_CA_BUNDLE=(\S+)/.exec(text)?.[1];
        assert.equal(ca, join(dir, 'tls', 'ca.pem'));
        creds = parseCredentialLines(text);
        const file = join(dir, 'root-credentials');
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.deepEqual(parseCredentialLines(readFileSync(file, 'utf8')), creds);
        const s3 = s3Client({ url: first.url, ca: readFileSync(join(dir, 'tls', 'ca.pem')) }, creds);
        try {
          await waitFor(async () => (await s3.send(new ListBucketsCommand({})).then(() => true, () => false)));
          await s3.send(new ListBucketsCommand({}));
        } finally {
          s3.destroy();
        }
      } finally {
        first.child.kill('SIGTERM');
        await new Promise((r) => first.child.once('exit', r));
      }
      const second = await spawnServe(['--data', dir, '--listen', '127.0.0.1:0', '--log-level', 'warn'], envWithoutRoot());
      try {
        await waitFor(() => /AWS_ENDPOINT_URL=/.test(second.output()));
        assert.doesNotMatch(second.output(), new RegExp(creds.secretAccessKey.replace(/[^A-Za-z0-9]/g, '.')), 'the secret is shown only once');
        const s3 = s3Client({ url: second.url, ca: readFileSync(join(dir, 'tls', 'ca.pem')) }, creds);
        try {
          await waitFor(async () => (await s3.send(new ListBucketsCommand({})).then(() => true, () => false)));
        } finally {
          s3.destroy();
        }
      } finally {
        second.child.kill('SIGTERM');
        await new Promise((r) => second.child.once('exit', r));
      }
    });

    it('with --http prints no CA bundle', async () => {
      const d = mkdtempSync(join(tmpdir(), 'strongbox-http-'));
      const s = await spawnServe(['--data', d, '--listen', '127.0.0.1:0', '--http', '--log-level', 'warn'], envWithoutRoot());
      try {
        await waitFor(() => /AWS_ENDPOINT_URL=/.test(s.output()));
        assert.match(s.output(), /export AWS_ENDPOINT_URL=http:\/\//);
        assert.doesNotMatch(s.output(), /AWS_CA_BUNDLE/);
      } finally {
        s.child.kill('SIGTERM');
        await new Promise((r) => s.child.once('exit', r));
        rmSync(d, { recursive: true, force: true });
      }
    });
  });

  describe('user add / list / remove while the server runs', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ http: true });
    });
    after(async () => {
      await server?.stop();
    });

    it('adds a working user, lists it, refuses duplicates, removes it', async () => {
      const bob = await server.addUser('bob');
      assert.match(bob.accessKeyId, /^[A-Z0-9]{16,128}$/);
      assert.ok(bob.secretAccessKey.length >= 30);
      const s3 = s3Client(server, bob);
      try {
        await s3.send(new ListBucketsCommand({}));
        const list = await runCli(['user', 'list', '--data', server.dataDir]);
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, new RegExp(`^bob\\s+${bob.accessKeyId}\\s*$`, 'm'));
        assert.match(list.stdout, new RegExp(`^root\\s+${server.root.accessKeyId}\\s+root`, 'm'));
        assert.doesNotMatch(list.stdout, new RegExp(bob.secretAccessKey.replace(/[^A-Za-z0-9]/g, '.')), 'no secrets in list');
        const dup = await runCli(['user', 'add', 'bob', '--data', server.dataDir]);
        assert.notEqual(dup.code, 0);
        assert.match(dup.stderr, /exists/);
        const bad = await runCli(['user', 'add', 'no spaces/allowed', '--data', server.dataDir]);
        assert.notEqual(bad.code, 0);
        const rm = await runCli(['user', 'remove', 'bob', '--data', server.dataDir]);
        assert.equal(rm.code, 0, rm.stderr);
        const after2 = await runCli(['user', 'list', '--data', server.dataDir]);
        assert.doesNotMatch(after2.stdout, /^bob\b/m);
        await expectS3Error(s3.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
      } finally {
        s3.destroy();
      }
      const rmRoot = await runCli(['user', 'remove', 'root', '--data', server.dataDir]);
      assert.notEqual(rmRoot.code, 0, 'root cannot be removed');
      const rmNone = await runCli(['user', 'remove', 'nobody', '--data', server.dataDir]);
      assert.notEqual(rmNone.code, 0);
    });
  });
});

/** Poll a condition (bounded), for output that arrives asynchronously. */
async function waitFor(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not reached within 10 s');
}
