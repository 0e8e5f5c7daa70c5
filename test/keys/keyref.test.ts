import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError } from '../../src/keys/key-error.js';
import { parseKeyFile, parseKeyText, resolveKeyRef } from '../../src/keys/keyref.js';

// A fixed key (bytes 0..31), so no test depends on randomness.
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const HEX = KEY.toString('hex');
const B64 = KEY.toString('base64');

const isKeyError = (code: string) => (err: unknown) => err instanceof KeyError && err.code === code && !err.message.includes(HEX) && !err.message.includes(B64);

describe('KEYREF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-keyref-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return `@${p}`;
  };
  const ring = new Map([['prod', KEY]]);
  const ctx = { env: { K_HEX: HEX, K_B64: ` ${B64}\n`, K_BAD: 'abc', K_ZZ: 'zz', K_SHORT: KEY.subarray(0, 16).toString('base64') }, lookup: async (n: string) => (ring.has(n) ? Buffer.from(ring.get(n)!) : undefined) };

  it('reads a key file in raw, hex and base64 form, ignoring surrounding whitespace', async () => {
    assert.deepEqual(await resolveKeyRef(file('raw.bin', KEY), ctx), KEY);
    assert.deepEqual(await resolveKeyRef(file('hex.txt', `${HEX}\n`), ctx), KEY);
    assert.deepEqual(await resolveKeyRef(file('hexu.txt', `  ${HEX.toUpperCase()}  \r\n`), ctx), KEY);
    assert.deepEqual(await resolveKeyRef(file('b64.txt', `${B64}\n`), ctx), KEY);
    assert.deepEqual(await resolveKeyRef(file('b64url.txt', KEY.toString('base64url')), ctx), KEY);
  });

  it('a raw key file of 32 bytes is taken as is, even if it ends with a newline byte', async () => {
    const raw = Buffer.from(KEY);
    raw[31] = 0x0a;
    assert.deepEqual(await resolveKeyRef(file('raw-nl.bin', raw), ctx), raw);
  });

  it('reads hex and base64 from the environment', async () => {
    assert.deepEqual(await resolveKeyRef('env:K_HEX', ctx), KEY);
    assert.deepEqual(await resolveKeyRef('env:K_B64', ctx), KEY);
  });

  it('looks names up in the keyring', async () => {
    assert.deepEqual(await resolveKeyRef('prod', ctx), KEY);
    await assert.rejects(resolveKeyRef('staging', ctx), (e: unknown) => e instanceof KeyError && e.code === 'STRONGBOX_KEYRING_NAME' && /no key named "staging"/.test(e.message));
  });

  it('rejects every bad input with a clear message that never holds the key', async () => {
    const bad = 'STRONGBOX_KEYREF_INVALID';
    await assert.rejects(resolveKeyRef(`@${join(dir, 'missing')}`, ctx), (e: unknown) => isKeyError(bad)(e) && /does not exist/.test((e as Error).message));
    mkdirSync(join(dir, 'sub'));
    await assert.rejects(resolveKeyRef(`@${join(dir, 'sub')}`, ctx), (e: unknown) => isKeyError(bad)(e) && /directory/.test((e as Error).message));
    await assert.rejects(resolveKeyRef('@', ctx), isKeyError(bad));
    await assert.rejects(resolveKeyRef('env:', ctx), isKeyError(bad));
    await assert.rejects(resolveKeyRef('env:NOPE', ctx), (e: unknown) => isKeyError(bad)(e) && /NOPE is not set/.test((e as Error).message));
    await assert.rejects(resolveKeyRef('env:K_BAD', ctx), (e: unknown) => isKeyError(bad)(e) && /3 hex characters/.test((e as Error).message));
    await assert.rejects(resolveKeyRef('env:K_ZZ', ctx), (e: unknown) => isKeyError(bad)(e) && /base64 of 1 bytes/.test((e as Error).message));
    await assert.rejects(resolveKeyRef('env:K_SHORT', ctx), (e: unknown) => isKeyError(bad)(e) && /base64 of 16 bytes/.test((e as Error).message));
    await assert.rejects(resolveKeyRef(file('short.bin', KEY.subarray(0, 31)), ctx), isKeyError(bad));
    await assert.rejects(resolveKeyRef(file('long.bin', Buffer.concat([KEY, KEY.subarray(0, 1), Buffer.from([0xff, 0xfe])])), ctx), (e: unknown) => isKeyError(bad)(e) && /35 bytes/.test((e as Error).message));
    await assert.rejects(resolveKeyRef(file('hex63.txt', HEX.slice(1)), ctx), (e: unknown) => isKeyError(bad)(e) && /63 hex characters/.test((e as Error).message));
    await assert.rejects(resolveKeyRef(file('hexg.txt', `g${HEX.slice(1)}`), ctx), isKeyError(bad));
    await assert.rejects(resolveKeyRef(file('b64bad.txt', `${B64.slice(0, 20)}!${B64.slice(21)}`), ctx), (e: unknown) => isKeyError(bad)(e) && /neither hex nor base64/.test((e as Error).message));
    await assert.rejects(resolveKeyRef(file('empty.txt', '\n'), ctx), (e: unknown) => isKeyError(bad)(e) && /empty/.test((e as Error).message));
    await assert.rejects(resolveKeyRef('bad name!', ctx), isKeyError(bad));
  });

  it('refuses a key given as the reference itself, without echoing it', async () => {
    await assert.rejects(resolveKeyRef(HEX, ctx), (e: unknown) => isKeyError('STRONGBOX_KEYREF_INVALID')(e) && /looks like a key/.test((e as Error).message));
    await assert.rejects(resolveKeyRef(B64, ctx), (e: unknown) => isKeyError('STRONGBOX_KEYREF_INVALID')(e) && /looks like a key/.test((e as Error).message));
  });

  it('parses text and file forms directly', () => {
    assert.deepEqual(parseKeyText(`\t${HEX}\n`, 'x'), KEY);
    assert.deepEqual(parseKeyFile(Buffer.from(`${B64}\n`), 'x'), KEY);
    assert.throws(() => parseKeyText(`${B64}==`, 'x'), KeyError);
  });
});
