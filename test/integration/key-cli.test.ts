/**
 * `strongbox key …` end to end (issue 5): the real CLI with a temporary keyring and the
 * passphrase from the environment.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN_JS, run } from './harness.js';

describe('strongbox key (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-key-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const keyring = join(dir, 'keyring.json');
  const env: NodeJS.ProcessEnv = { ...process.env, STRONGBOX_KEYRING: keyring, STRONGBOX_KEYRING_PASSPHRASE: 'it passphrase' };
  const key = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) => run(process.execPath, [MAIN_JS, 'key', ...args], { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
  const ok = async (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = await key(args, extraEnv);
    assert.equal(r.code, 0, `key ${args.join(' ')} failed:\n${r.stderr}`);
    return r;
  };
  const fails = async (args: readonly string[], message: RegExp, extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = await key(args, extraEnv);
    assert.notEqual(r.code, 0, `key ${args.join(' ')} should fail`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line on stderr:\n${r.stderr}`);
    return r;
  };
  const field = (text: string, name: string) => new RegExp(`^${name}: (\\S+)$`, 'm').exec(text)?.[1];
  // What boto3 and the AWS SDKs send in x-amz-server-side-encryption-customer-key-MD5.
  const s3Md5 = (k: Buffer) => createHash('md5').update(k).digest('base64');

  it('new → list → fingerprint → export → import → split → combine → remove', async () => {
    const created = await ok(['new', '--name', 'prod']);
    assert.match(created.stderr, /NOBODY can recover/);
    const fp = field(created.stdout, 'fingerprint');
    const md5 = field(created.stdout, 'key-md5');
    assert.match(fp ?? '', /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
    assert.equal((await stat(keyring)).mode & 0o777, 0o600);

    const list = await ok(['list']);
    assert.match(list.stdout, new RegExp(`^prod\\t${fp}\\t${md5?.replace(/[+/]/g, '\\$&')}\\t\\d{4}-`, 'm'));

    // The exported key is the one whose MD5 S3 would echo.
    const exported = join(dir, 'prod.key');
    await ok(['export', 'prod', '--format', 'raw', '--out', exported]);
    assert.equal((await stat(exported)).mode & 0o777, 0o600);
    const raw = await readFile(exported);
    assert.equal(raw.length, 32);
    assert.equal(s3Md5(raw), md5);
    assert.equal(createHash('sha256').update(raw).digest('hex').slice(0, 16), fp?.replaceAll('-', ''));
    const fpOut = await ok(['fingerprint', 'prod']);
    assert.equal(field(fpOut.stdout, 'key-md5'), s3Md5(raw));
    assert.equal(field((await ok(['fingerprint', `@${exported}`])).stdout, 'key-md5'), md5);
    const hex = await ok(['export', 'prod']);
    assert.equal(hex.stdout, `${raw.toString('hex')}\n`);
    assert.equal(field((await ok(['fingerprint', 'env:SB_KEY'], { SB_KEY: raw.toString('base64') })).stdout, 'fingerprint'), fp);

    await ok(['import', 'copy', `@${exported}`]);
    assert.equal(field((await ok(['show', 'copy'])).stdout, 'key-md5'), md5);
    assert.doesNotMatch((await ok(['show', 'copy'])).stdout, new RegExp(raw.toString('hex')));
    assert.match((await ok(['show', 'copy', '--reveal'])).stdout, new RegExp(`^key: ${raw.toString('hex')}$`, 'm'));

    const sharesDir = join(dir, 'shares');
    await ok(['split', 'prod', '--shares', '5', '--threshold', '3', '--out-dir', sharesDir]);
    const files = (await readdir(sharesDir)).sort();
    assert.deepEqual(files, [1, 2, 3, 4, 5].map((i) => `share-${i}-of-5.txt`));
    for (const f of files) assert.equal((await stat(join(sharesDir, f))).mode & 0o777, 0o600);
    const at = (i: number) => `@${join(sharesDir, files[i]!)}`;
    const rebuilt = join(dir, 'rebuilt.key');
    const combined = await ok(['combine', at(4), at(0), at(2), '--out', rebuilt, '--format', 'hex']);
    assert.equal(field(combined.stdout, 'fingerprint'), fp);
    assert.equal((await readFile(rebuilt, 'utf8')).trim(), raw.toString('hex'));
    await ok(['combine', at(1), at(3), at(4), '--name', 'restored']);
    assert.equal(field((await ok(['fingerprint', 'restored'])).stdout, 'key-md5'), md5);

    await ok(['remove', 'copy', '--yes']);
    assert.doesNotMatch((await ok(['list'])).stdout, /^copy\t/m);
    assert.match((await ok(['list'])).stdout, /^restored\t/m);
  });

  it('prints a new key only when it is not stored, and never overwrites a file', async () => {
    const printed = await ok(['new', '--format', 'base64']);
    assert.match(printed.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
    assert.match(printed.stderr, /key-md5: /);
    const out = join(dir, 'new.key');
    await ok(['new', '--out', out]);
    const before = await readFile(out);
    await fails(['new', '--out', out], /already exists/);
    assert.deepEqual(await readFile(out), before);
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const before = await readFile(keyring);
    await fails(['list'], /passphrase does not open the keyring/, { STRONGBOX_KEYRING_PASSPHRASE: 'wrong' });
    assert.deepEqual(await readFile(keyring), before);
    const noPass: NodeJS.ProcessEnv = { ...env };
    delete noPass.STRONGBOX_KEYRING_PASSPHRASE;
    const r = await run(process.execPath, [MAIN_JS, 'key', 'list'], { env: noPass, timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs a passphrase/);

    await fails(['new', '--name', 'prod'], /already has a key named "prod"/);
    await fails(['show', 'nope'], /no key named "nope"/);
    await fails(['remove', 'prod'], /needs --yes/);
    await fails(['fingerprint', `@${join(dir, 'missing.key')}`], /does not exist/);
    await fails(['fingerprint', 'env:SB_NOT_SET'], /SB_NOT_SET is not set/);
    const leaked = 'ab'.repeat(32);
    const leak = await fails(['fingerprint', leaked], /looks like a key/);
    assert.ok(!leak.stderr.includes(leaked));
    await fails(['split', 'prod', '--shares', '3', '--threshold', '4'], /threshold <= shares/);

    const shares = (await ok(['split', 'prod', '--shares', '3', '--threshold', '2'])).stdout.trim().split('\n');
    assert.equal(shares.length, 3);
    await fails(['combine', shares[0]!], /1 share given, but this key needs 2/);
    const typo = shares[1]!.slice(0, 30) + (shares[1]![30] === 'a' ? 'b' : 'a') + shares[1]!.slice(31);
    await fails(['combine', shares[0]!, typo], /share 2 fails its checksum/);

    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"format": "strongbox-keyring/1"');
    await fails(['list', '--keyring', corrupt], /damaged or not a keyring/);
  });
});
