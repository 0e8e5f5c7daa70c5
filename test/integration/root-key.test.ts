/**
 * The root key at start (issue 4): generated once into <data>/keys, and a data directory
 * refuses to start with a missing or different root key instead of making a new one.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN_JS, run, startServer } from './harness.js';

const serveOnce = (dataDir: string, env: NodeJS.ProcessEnv) =>
  run(process.execPath, [MAIN_JS, 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--http'], { env: { ...process.env, ...env }, timeoutMs: 30_000 });

describe('root key at start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-rootkey-it-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const keyFile = join(dataDir, 'keys', 'root-key.json');

  it('is generated at first start into <data>/keys with mode 0600, and announced', async () => {
    const server = await startServer({ http: true, dataDir });
    try {
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
      assert.match(server.output(), /new root key was generated/);
    } finally {
      await server.stop();
    }
    const again = await startServer({ http: true, dataDir });
    try {
      assert.doesNotMatch(again.output(), /new root key was generated/, 'the second start reuses it');
    } finally {
      await again.stop();
    }
  });

  it('a different root key (STRONGBOX_ROOT_KEY) or a missing key file stops the start', async () => {
    const other = await serveOnce(dataDir, { STRONGBOX_ROOT_KEY: randomBytes(32).toString('base64') });
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.match(other.stderr, /refusing to start/);

    const saved = await readFile(keyFile);
    await unlink(keyFile);
    const missing = await serveOnce(dataDir, {});
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.match(missing.stderr, /no root key .* refusing to start with a new key/);
    await assert.rejects(stat(keyFile), 'no key file was made');

    await writeFile(keyFile, saved, { mode: 0o600 });
    const back = await startServer({ http: true, dataDir });
    await back.stop();
  });
});
