import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_KEY_FILE, RootKeyError, loadRootKeyring, rotateRootKey } from '../../src/crypto/root-key.js';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RootKeyError, String(err));
    assert.equal(err.code, code);
    return true;
  });
}

describe('root key', () => {
  let dir: string;
  let keysDir: string;
  let dataDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-rootkey-'));
    keysDir = join(dir, 'keys');
    dataDir = join(dir, 'data');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated once into a 0600 file and loaded back the same', async () => {
    const first = await loadRootKeyring({ keysDir, dataDir });
    assert.equal(first.created, true);
    assert.equal(first.keyring.current.key.length, 32);
    assert.equal((await stat(join(keysDir, ROOT_KEY_FILE))).mode & 0o777, 0o600);
    const again = await loadRootKeyring({ keysDir, dataDir });
    assert.equal(again.created, false);
    assert.deepEqual(again.keyring.current.key, first.keyring.current.key);
  });

  it('a data directory refuses a missing or a different root key', async () => {
    await loadRootKeyring({ keysDir, dataDir });
    rmSync(keysDir, { recursive: true });
    await rejectsWith(loadRootKeyring({ keysDir, dataDir }), 'STRONGBOX_ROOT_KEY_MISSING');
    await rejectsWith(loadRootKeyring({ keysDir, dataDir, envKey: randomBytes(32).toString('base64') }), 'STRONGBOX_ROOT_KEY_MISSING');
  });

  it('takes the key from the environment, and refuses one that is not 32 bytes', async () => {
    const key = randomBytes(32);
    const r = await loadRootKeyring({ keysDir, dataDir, envKey: key.toString('base64') });
    assert.deepEqual(r.keyring.current.key, key);
    await rejectsWith(loadRootKeyring({ keysDir, envKey: randomBytes(16).toString('base64') }), 'STRONGBOX_ROOT_KEY_INVALID');
  });

  it('sealed with a passphrase: opens with it, refuses a wrong or a missing one, holds no key in clear', async () => {
    const made = await loadRootKeyring({ keysDir, sealNew: true, passphrase: () => Promise.resolve('correct horse') });
    const file = await readFile(join(keysDir, ROOT_KEY_FILE), 'utf8');
    assert.ok(!file.includes(made.keyring.current.key.toString('base64')));
    const opened = await loadRootKeyring({ keysDir, passphrase: () => Promise.resolve('correct horse') });
    assert.deepEqual(opened.keyring.current.key, made.keyring.current.key);
    await rejectsWith(loadRootKeyring({ keysDir, passphrase: () => Promise.resolve('wrong horse') }), 'STRONGBOX_ROOT_KEY_PASSPHRASE');
    await rejectsWith(loadRootKeyring({ keysDir }), 'STRONGBOX_ROOT_KEY_PASSPHRASE');
  });

  it('rotation adds a version, keeps the old ones, and the data then needs the new one', async () => {
    const first = await loadRootKeyring({ keysDir, dataDir });
    const saved = await readFile(join(keysDir, ROOT_KEY_FILE), 'utf8');
    const rotated = await rotateRootKey({ keysDir });
    assert.equal(rotated.current.version, 2);
    assert.deepEqual(rotated.get(1)?.key, first.keyring.current.key);
    const loaded = await loadRootKeyring({ keysDir, dataDir });
    assert.equal(loaded.keyring.current.version, 2);
    // Back to the file from before the rotation: the data has used version 2 since.
    await writeFile(join(keysDir, ROOT_KEY_FILE), saved);
    await rejectsWith(loadRootKeyring({ keysDir, dataDir }), 'STRONGBOX_ROOT_KEY_MISSING');
  });

  it('a damaged key file is refused, never replaced', async () => {
    await loadRootKeyring({ keysDir });
    await writeFile(join(keysDir, ROOT_KEY_FILE), '{"format":"strongbox-root-key/1","keys":[{"version":1,"created":"x","key":"AAAA"}]}');
    await rejectsWith(loadRootKeyring({ keysDir }), 'STRONGBOX_ROOT_KEY_INVALID');
    await writeFile(join(keysDir, ROOT_KEY_FILE), 'not json');
    await rejectsWith(loadRootKeyring({ keysDir }), 'STRONGBOX_ROOT_KEY_INVALID');
    assert.equal(await readFile(join(keysDir, ROOT_KEY_FILE), 'utf8'), 'not json');
  });
});
