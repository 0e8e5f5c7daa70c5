import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_KEY_FILE, RootKeyError, loadRootKeyring, rotateRootKey } from '../../src/crypto/root-key.js';
import { openSqliteMetaStore, type SqliteMetaStore } from '../../src/store/meta/sqlite.js';

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
  /** The data's record of the root key versions it has used: the real metadata store. */
  let meta: SqliteMetaStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-rootkey-'));
    keysDir = join(dir, 'keys');
    dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    meta = openSqliteMetaStore(dataDir);
  });
  afterEach(async () => {
    await meta.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once into a 0600 file and loaded back the same', async () => {
    const first = await loadRootKeyring({ keysDir, usedIds: meta });
    assert.equal(first.created, true);
    assert.equal(first.keyring.current.key.length, 32);
    assert.equal((await stat(join(keysDir, ROOT_KEY_FILE))).mode & 0o777, 0o600);
    const again = await loadRootKeyring({ keysDir, usedIds: meta });
    assert.equal(again.created, false);
    assert.deepEqual(again.keyring.current.key, first.keyring.current.key);
  });

  it('a data directory refuses a missing or a different root key', async () => {
    await loadRootKeyring({ keysDir, usedIds: meta });
    rmSync(keysDir, { recursive: true });
    await rejectsWith(loadRootKeyring({ keysDir, usedIds: meta }), 'STRONGBOX_ROOT_KEY_MISSING');
    await rejectsWith(loadRootKeyring({ keysDir, usedIds: meta, envKey: randomBytes(32).toString('base64') }), 'STRONGBOX_ROOT_KEY_MISSING');
  });

  it('the ids survive in the store, and a root-key-ids file of an older version is moved into it', async () => {
    const first = await loadRootKeyring({ keysDir, usedIds: meta });
    assert.deepEqual(await meta.listRootKeyIds(), [first.keyring.current.id]);
    // An older data directory: its ids in a file, none in the store yet.
    const other = join(dir, 'old');
    mkdirSync(other);
    const oldMeta = openSqliteMetaStore(other);
    try {
      const id = first.keyring.current.id;
      await writeFile(join(other, 'root-key-ids'), `${id}\n`);
      await rejectsWith(loadRootKeyring({ keysDir, usedIds: oldMeta, legacyDataDir: other, envKey: randomBytes(32).toString('base64') }), 'STRONGBOX_ROOT_KEY_MISSING');
      assert.deepEqual(await oldMeta.listRootKeyIds(), [id], 'the file was moved into the store');
      assert.equal(existsSync(join(other, 'root-key-ids')), false);
      const loaded = await loadRootKeyring({ keysDir, usedIds: oldMeta, legacyDataDir: other });
      assert.equal(loaded.keyring.current.id, id);
    } finally {
      await oldMeta.close();
    }
  });

  it('takes the key from the environment, and refuses one that is not 32 bytes', async () => {
    const key = randomBytes(32);
    const r = await loadRootKeyring({ keysDir, usedIds: meta, envKey: key.toString('base64') });
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
    const first = await loadRootKeyring({ keysDir, usedIds: meta });
    const saved = await readFile(join(keysDir, ROOT_KEY_FILE), 'utf8');
    const rotated = await rotateRootKey({ keysDir });
    assert.equal(rotated.current.version, 2);
    assert.deepEqual(rotated.get(1)?.key, first.keyring.current.key);
    const loaded = await loadRootKeyring({ keysDir, usedIds: meta });
    assert.equal(loaded.keyring.current.version, 2);
    // Back to the file from before the rotation: the data has used version 2 since.
    await writeFile(join(keysDir, ROOT_KEY_FILE), saved);
    await rejectsWith(loadRootKeyring({ keysDir, usedIds: meta }), 'STRONGBOX_ROOT_KEY_MISSING');
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
