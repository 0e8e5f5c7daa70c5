import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError } from '../../src/keys/key-error.js';
import { KEYRING_FORMAT, Keyring } from '../../src/keys/keyring.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const phrase = (p: string) => async () => p;
const code = (c: string) => (e: unknown) => e instanceof KeyError && e.code === c;

describe('keyring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-keyring-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'nested', 'keyring.json');

  it('a missing keyring is an error unless created', async () => {
    await assert.rejects(Keyring.open(path, phrase('pw')), code('STRONGBOX_KEYRING_NAME'));
    await assert.rejects(Keyring.open(path, phrase(''), { create: true }), code('STRONGBOX_KEYRING_PASSPHRASE'));
  });

  it('round-trips named keys, sealed, in a 0600 file', async () => {
    const ring = await Keyring.open(path, phrase('correct horse'), { create: true });
    ring.add('alpha', KEY_A, new Date('2026-01-02T03:04:05Z'));
    ring.add('beta', KEY_B);
    assert.throws(() => ring.add('alpha', KEY_B), code('STRONGBOX_KEYRING_NAME'));
    assert.throws(() => ring.add('@bad', KEY_B), code('STRONGBOX_KEYRING_NAME'));
    assert.throws(() => ring.add('ab'.repeat(32), KEY_B), code('STRONGBOX_KEYRING_NAME'));
    await ring.save();
    ring.wipe();

    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    const file = JSON.parse(text);
    assert.equal(file.format, KEYRING_FORMAT);
    assert.deepEqual({ N: file.scrypt.N, r: file.scrypt.r, p: file.scrypt.p }, { N: 2 ** 15, r: 8, p: 1 });
    // Names and keys are sealed.
    for (const secret of ['alpha', 'beta', KEY_A.toString('base64'), KEY_A.toString('hex')]) assert.ok(!text.includes(secret));
    // No temporary file is left beside it.
    assert.deepEqual(await readdir(join(dir, 'nested')), ['keyring.json']);

    const again = await Keyring.open(path, phrase('correct horse'));
    assert.deepEqual(again.list().map((e) => e.name), ['alpha', 'beta']);
    assert.deepEqual(again.get('alpha'), KEY_A);
    assert.equal(again.list()[0]?.created.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.equal(again.get('gamma'), undefined);
    assert.equal(again.remove('beta'), true);
    assert.equal(again.remove('beta'), false);
    await again.save();
    again.wipe();
    const third = await Keyring.open(path, phrase('correct horse'));
    assert.deepEqual(third.list().map((e) => e.name), ['alpha']);
    third.wipe();
  });

  it('a wrong passphrase is refused and leaves the file byte-identical', async () => {
    const before = await readFile(path);
    await assert.rejects(Keyring.open(path, phrase('wrong')), (e: unknown) => code('STRONGBOX_KEYRING_PASSPHRASE')(e) && /does not open/.test((e as Error).message));
    assert.deepEqual(await readFile(path), before);
  });

  it('an altered file is refused', async () => {
    const file = JSON.parse(await readFile(path, 'utf8'));
    const sealed = Buffer.from(file.sealed, 'base64');
    sealed[20] = (sealed[20] ?? 0) ^ 1;
    const altered = join(dir, 'altered.json');
    await writeFile(altered, JSON.stringify({ ...file, sealed: sealed.toString('base64') }));
    await assert.rejects(Keyring.open(altered, phrase('correct horse')), code('STRONGBOX_KEYRING_PASSPHRASE'));
  });

  it('a corrupt file is refused with a clear message', async () => {
    const cases: [string, string][] = [
      ['not json {', 'not JSON'],
      ['[]', 'unknown format'],
      [JSON.stringify({ format: 'strongbox-keyring/9' }), 'unknown format'],
      [JSON.stringify({ format: KEYRING_FORMAT, scrypt: { salt: 'AA==', N: 3, r: 8, p: 1 }, sealed: '' }), 'scrypt'],
      [JSON.stringify({ format: KEYRING_FORMAT, scrypt: { salt: 'AA==', N: 2 ** 30, r: 8, p: 1 }, sealed: '' }), 'scrypt'],
      [JSON.stringify({ format: KEYRING_FORMAT, scrypt: { salt: 'AA==', N: 1024, r: 8, p: 1 } }), 'no sealed content'],
    ];
    for (const [i, [text, why]] of cases.entries()) {
      const p = join(dir, `corrupt-${i}.json`);
      await writeFile(p, text);
      await assert.rejects(Keyring.open(p, phrase('pw')), (e: unknown) => code('STRONGBOX_KEYRING_CORRUPT')(e) && (e as Error).message.includes(why) && (e as Error).message.includes(p));
    }
  });
});
