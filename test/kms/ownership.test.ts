/**
 * Key ownership in the built-in KMS (issue 14, defect 3): a customer key records the user who
 * created it, and only that user and the root user may use, manage, describe or alias it,
 * through the KMS API and through S3 alike; keys without an owner (written before owners
 * existed, `--kms-alias` keys) are the root user's; the AWS-managed aws/s3 key serves every
 * requester through S3 only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KmsError, type KmsCaller } from '../../src/kms/types.js';
import { ensureKmsAlias } from '../../src/kms/index.js';
import { KEY_RECORD_FORMAT, fromRecord, toRecord } from '../../src/kms/builtin/key-record.js';
import { mayUse } from '../../src/kms/builtin/key-access.js';
import { DataCorruptionError } from '../../src/crypto/package-cipher.js';
import { ACCOUNT, ANONYMOUS, DAY, REGION, ROOT, fixture, userCaller } from './helpers.js';

const CTX = { 'aws:s3:arn': 'arn:aws:s3:::b/k' };
const ALICE = userCaller('alice');
const BOB = userCaller('bob');
const arnOf = (keyId: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
const denied = (who: string, action: string, keyId: string) =>
  `User: ${who} is not authorized to perform: kms:${action} on resource: ${arnOf(keyId)} because no resource-based policy allows the kms:${action} action`;
const bob = `arn:aws:iam::${ACCOUNT}:user/bob`;

async function rejects(p: Promise<unknown> | (() => unknown), type: string, message?: string): Promise<void> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof KmsError, `expected KmsError ${type}, got ${String(caught)}`);
  assert.equal(caught.type, type, caught.message);
  if (message !== undefined) assert.equal(caught.message, message);
}

/** CreateKey through the API as `caller`; the new key's id. */
async function apiKey(kms: { api: (op: string, input: Record<string, unknown>, c: KmsCaller) => Promise<Record<string, unknown> | undefined> }, caller: KmsCaller): Promise<string> {
  const out = await kms.api('CreateKey', { Description: 'mine' }, caller);
  return String((out?.['KeyMetadata'] as Record<string, unknown>)['KeyId']);
}

const ids = (out: Record<string, unknown> | undefined, list: string, field: string): string[] =>
  ((out?.[list] ?? []) as Record<string, unknown>[]).map((e) => String(e[field]));

describe('KMS key ownership', () => {
  it('records the creator in the key record (format 1, owner field) and keeps it through deletion', async (t) => {
    const f = fixture(t);
    const id = await apiKey(f.kms, ALICE);
    const meta = (await f.meta.getKmsKey(id))!.meta;
    assert.equal(meta['format'], KEY_RECORD_FORMAT);
    assert.equal(KEY_RECORD_FORMAT, 1);
    assert.equal(meta['owner'], 'alice');
    assert.equal(fromRecord((await f.meta.getKmsKey(id))!).owner, 'alice');
    assert.equal(fromRecord((await f.meta.getKmsKey(await apiKey(f.kms, ROOT)))!).owner, 'root');

    await f.kms.api('ScheduleKeyDeletion', { KeyId: id, PendingWindowInDays: 7 }, ALICE);
    f.clock.advance(7 * DAY);
    await rejects(f.kms.api('DescribeKey', { KeyId: id }, ALICE), 'NotFoundException');
    const tomb = fromRecord((await f.meta.getKmsKey(id))!);
    assert.equal(tomb.state, 'Deleted');
    assert.equal(tomb.owner, 'alice', 'the tombstone keeps its owner, so list pages stay per user');
  });

  it('reads a record written before owners existed (no owner field) as the root user\'s key', async (t) => {
    const f = fixture(t);
    const id = await apiKey(f.kms, ALICE);
    const g = await f.kms.generateDataKey(id, CTX, 32, ALICE);
    // The record as an older Strongbox wrote it: format 1 without `owner`.
    const { owner: _owner, ...old } = (await f.meta.getKmsKey(id))!.meta;
    const stored = (await f.meta.getKmsKey(id))!;
    await f.meta.putKmsKey({ ...stored, meta: old }, stored.revision);
    const kms = f.reopen();
    assert.equal(fromRecord((await f.meta.getKmsKey(id))!).owner, undefined);
    assert.deepEqual((await kms.decrypt(g.ciphertext, CTX, ROOT)).plaintext, g.plaintext);
    await rejects(kms.decrypt(g.ciphertext, CTX, ALICE), 'AccessDeniedException', denied(`arn:aws:iam::${ACCOUNT}:user/alice`, 'Decrypt', id));
    assert.deepEqual(ids(await kms.api('ListKeys', {}, ALICE), 'Keys', 'KeyId'), []);
    assert.deepEqual(ids(await kms.api('ListKeys', {}, ROOT), 'Keys', 'KeyId'), [id]);
    // Saving it again (a state change by root) does not invent an owner.
    await kms.api('DisableKey', { KeyId: id }, ROOT);
    assert.equal((await f.meta.getKmsKey(id))!.meta['owner'], undefined);
  });

  it('refuses a stored owner that is not a user name as damage, never as root', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    for (const owner of [42, '', null]) {
      const rec = toRecord(key);
      assert.throws(() => fromRecord({ ...rec, meta: { ...rec.meta, owner } }), DataCorruptionError, String(owner));
    }
  });

  it('--kms-alias keys belong to the root user', async (t) => {
    const f = fixture(t);
    const { keyArn } = await ensureKmsAlias(f.kms, 'testkey-1');
    const id = keyArn.slice(keyArn.lastIndexOf('/') + 1);
    assert.equal(fromRecord((await f.meta.getKmsKey(id))!).owner, undefined);
    await f.kms.generateDataKey('alias/testkey-1', CTX, 32, ROOT);
    await rejects(f.kms.generateDataKey('testkey-1', CTX, 32, BOB), 'AccessDeniedException', denied(bob, 'GenerateDataKey', id));
  });

  it('lets only the owner and root use and manage a customer key through the API', async (t) => {
    const f = fixture(t);
    const id = await apiKey(f.kms, ALICE);
    const blob = String((await f.kms.api('Encrypt', { KeyId: id, Plaintext: 'c2VjcmV0' }, ALICE))?.['CiphertextBlob']);
    const bobsKey = await apiKey(f.kms, BOB);
    const calls: [string, Record<string, unknown>, string][] = [
      ['Encrypt', { KeyId: id, Plaintext: 'eA==' }, 'Encrypt'],
      ['Decrypt', { CiphertextBlob: blob }, 'Decrypt'],
      ['Decrypt', { CiphertextBlob: blob, KeyId: id }, 'Decrypt'],
      ['GenerateDataKey', { KeyId: id, KeySpec: 'AES_256' }, 'GenerateDataKey'],
      ['GenerateDataKeyWithoutPlaintext', { KeyId: id, KeySpec: 'AES_256' }, 'GenerateDataKeyWithoutPlaintext'],
      ['ReEncrypt', { CiphertextBlob: blob, DestinationKeyId: bobsKey }, 'ReEncryptFrom'],
      ['DescribeKey', { KeyId: id }, 'DescribeKey'],
      ['DisableKey', { KeyId: id }, 'DisableKey'],
      ['EnableKey', { KeyId: id }, 'EnableKey'],
      ['ScheduleKeyDeletion', { KeyId: id, PendingWindowInDays: 7 }, 'ScheduleKeyDeletion'],
      ['CancelKeyDeletion', { KeyId: id }, 'CancelKeyDeletion'],
      ['UpdateKeyDescription', { KeyId: id, Description: 'mine now' }, 'UpdateKeyDescription'],
      ['EnableKeyRotation', { KeyId: id }, 'EnableKeyRotation'],
      ['DisableKeyRotation', { KeyId: id }, 'DisableKeyRotation'],
      ['RotateKeyOnDemand', { KeyId: id }, 'RotateKeyOnDemand'],
      ['GetKeyRotationStatus', { KeyId: id }, 'GetKeyRotationStatus'],
      ['ListKeyRotations', { KeyId: id }, 'ListKeyRotations'],
      ['ListAliases', { KeyId: id }, 'ListAliases'],
      ['CreateAlias', { AliasName: 'alias/bobs-view', TargetKeyId: id }, 'CreateAlias'],
    ];
    for (const [op, input, action] of calls) await rejects(f.kms.api(op, input, BOB), 'AccessDeniedException', denied(bob, action, id));
    // Re-encrypting into someone else's key is refused on the destination.
    const bobsBlob = String((await f.kms.api('Encrypt', { KeyId: bobsKey, Plaintext: 'eA==' }, BOB))?.['CiphertextBlob']);
    await rejects(f.kms.api('ReEncrypt', { CiphertextBlob: bobsBlob, DestinationKeyId: id }, BOB), 'AccessDeniedException', denied(bob, 'ReEncryptTo', id));
    assert.equal(fromRecord((await f.meta.getKmsKey(id))!).state, 'Enabled', 'nothing changed');

    for (const caller of [ALICE, ROOT]) {
      const out = await f.kms.api('Decrypt', { CiphertextBlob: blob }, caller);
      assert.equal(out?.['Plaintext'], 'c2VjcmV0');
      await f.kms.api('DisableKey', { KeyId: id }, caller);
      await f.kms.api('EnableKey', { KeyId: id }, caller);
      await f.kms.api('DescribeKey', { KeyId: id }, caller);
    }
    await f.kms.api('ScheduleKeyDeletion', { KeyId: id, PendingWindowInDays: 7 }, ROOT);
    await f.kms.api('CancelKeyDeletion', { KeyId: id }, ALICE);
  });

  it('lets an alias be changed only by the owner of its key; names stay global', async (t) => {
    const f = fixture(t);
    const alices = await apiKey(f.kms, ALICE);
    const bobs = await apiKey(f.kms, BOB);
    await f.kms.api('CreateAlias', { AliasName: 'alias/alice', TargetKeyId: alices }, ALICE);
    await f.kms.api('CreateAlias', { AliasName: 'alias/bob', TargetKeyId: bobs }, BOB);
    await rejects(f.kms.api('UpdateAlias', { AliasName: 'alias/alice', TargetKeyId: bobs }, BOB), 'AccessDeniedException', denied(bob, 'UpdateAlias', alices));
    await rejects(f.kms.api('UpdateAlias', { AliasName: 'alias/bob', TargetKeyId: alices }, BOB), 'AccessDeniedException', denied(bob, 'UpdateAlias', alices));
    await rejects(f.kms.api('DeleteAlias', { AliasName: 'alias/alice' }, BOB), 'AccessDeniedException', denied(bob, 'DeleteAlias', alices));
    await rejects(f.kms.api('CreateAlias', { AliasName: 'alias/alice', TargetKeyId: bobs }, BOB), 'AlreadyExistsException');
    await rejects(f.kms.generateDataKey('alias/alice', CTX, 32, BOB), 'AccessDeniedException', denied(bob, 'GenerateDataKey', alices));
    assert.equal((await f.meta.getKmsAlias('alias/alice'))?.keyId, alices);

    assert.deepEqual(ids(await f.kms.api('ListAliases', {}, BOB), 'Aliases', 'AliasName'), ['alias/aws/s3', 'alias/bob']);
    assert.deepEqual(ids(await f.kms.api('ListAliases', {}, ROOT), 'Aliases', 'AliasName'), ['alias/alice', 'alias/aws/s3', 'alias/bob']);
    await f.kms.api('UpdateAlias', { AliasName: 'alias/bob', TargetKeyId: bobs }, ROOT);
    await f.kms.api('DeleteAlias', { AliasName: 'alias/alice' }, ALICE);
  });

  it('lists only the caller\'s keys and the AWS-managed ones; root sees all; pages stay per user', async (t) => {
    const f = fixture(t);
    const a1 = await apiKey(f.kms, ALICE);
    const b1 = await apiKey(f.kms, BOB);
    const a2 = await apiKey(f.kms, ALICE);
    const awsS3 = (await f.kms.generateDataKey(undefined, CTX, 32, BOB)).keyArn.split('/')[1]!;
    const rootKey = (await f.kms.createKey('root')).keyId;
    // Keys come in store order (creation time, then id; the test clock stands still).
    const sorted = (...keys: string[]) => keys.sort();
    assert.deepEqual(ids(await f.kms.api('ListKeys', {}, ALICE), 'Keys', 'KeyId'), sorted(a1, a2, awsS3));
    assert.deepEqual(ids(await f.kms.api('ListKeys', {}, BOB), 'Keys', 'KeyId'), sorted(b1, awsS3));
    assert.deepEqual(ids(await f.kms.api('ListKeys', {}, ROOT), 'Keys', 'KeyId'), sorted(a1, b1, a2, awsS3, rootKey));
    const alices = sorted(a1, a2, awsS3);
    let marker: unknown;
    for (const expected of alices) {
      const p = await f.kms.api('ListKeys', { Limit: 1, ...(marker === undefined ? {} : { Marker: marker }) }, ALICE);
      assert.deepEqual(ids(p, 'Keys', 'KeyId'), [expected]);
      marker = p?.['NextMarker'];
    }
    assert.equal(marker, undefined, 'three pages of one');
    assert.deepEqual((await f.kms.listKeys(BOB)).map((k) => k.keyId), sorted(b1, awsS3));
    // The aws/s3 key is described to everyone, as AWS shows AWS-managed keys.
    await f.kms.api('DescribeKey', { KeyId: 'alias/aws/s3' }, ALICE);
    await f.kms.api('GetKeyRotationStatus', { KeyId: awsS3 }, ALICE);
  });

  it('lets S3 use a customer key only for its owner and root, and aws/s3 for every requester', async (t) => {
    const f = fixture(t);
    const id = await apiKey(f.kms, ALICE);
    const g = await f.kms.generateDataKey(id, CTX, 32, ALICE);
    assert.deepEqual((await f.kms.decrypt(g.ciphertext, CTX, ROOT)).plaintext, g.plaintext);
    await f.kms.generateDataKey(arnOf(id), CTX, 32, ROOT);
    await rejects(f.kms.generateDataKey(id, CTX, 32, BOB), 'AccessDeniedException', denied(bob, 'GenerateDataKey', id));
    await rejects(f.kms.decrypt(g.ciphertext, CTX, BOB), 'AccessDeniedException', denied(bob, 'Decrypt', id));
    await rejects(f.kms.decrypt(g.ciphertext, CTX, ANONYMOUS), 'AccessDeniedException', denied('anonymous', 'Decrypt', id));
    // A user named like no owner and a user whose name merely resembles it own nothing.
    await rejects(f.kms.decrypt(g.ciphertext, CTX, userCaller('Alice')), 'AccessDeniedException');

    for (const caller of [ALICE, BOB, ANONYMOUS, ROOT]) {
      const s3 = await f.kms.generateDataKey(undefined, CTX, 32, caller);
      for (const reader of [ALICE, BOB, ANONYMOUS, ROOT]) assert.deepEqual((await f.kms.decrypt(s3.ciphertext, CTX, reader)).plaintext, s3.plaintext);
    }
    // …but not through the KMS API, root included (AWS's key policy for aws/s3).
    const s3 = await f.kms.generateDataKey(undefined, CTX, 32, ALICE);
    const awsS3 = s3.keyArn.split('/')[1]!;
    await rejects(f.kms.api('Decrypt', { CiphertextBlob: s3.ciphertext.toString('base64'), EncryptionContext: CTX }, ALICE), 'AccessDeniedException', denied(`arn:aws:iam::${ACCOUNT}:user/alice`, 'Decrypt', awsS3));
    await rejects(f.kms.api('Encrypt', { KeyId: 'alias/aws/s3', Plaintext: 'eA==' }, BOB), 'AccessDeniedException', denied(bob, 'Encrypt', awsS3));
  });

  it('decides in one place: mayUse over (key, caller, action, door)', async (t) => {
    const f = fixture(t);
    const key = { ...(await f.kms.createKey('k')), owner: 'alice' };
    assert.equal(mayUse(key, ALICE, 'Decrypt', 's3'), true);
    assert.equal(mayUse(key, ROOT, 'ScheduleKeyDeletion', 'api'), true);
    assert.equal(mayUse(key, BOB, 'Decrypt', 's3'), false);
    assert.equal(mayUse(key, ANONYMOUS, 'Decrypt', 's3'), false);
    const { owner: _o, ...rootOwned } = key;
    assert.equal(mayUse(rootOwned, ALICE, 'Encrypt', 'api'), false);
    assert.equal(mayUse(rootOwned, ROOT, 'Encrypt', 'api'), true);
    const managed = { ...rootOwned, manager: 'AWS' as const };
    assert.equal(mayUse(managed, ANONYMOUS, 'GenerateDataKey', 's3'), true);
    assert.equal(mayUse(managed, ROOT, 'Encrypt', 'api'), false);
    assert.equal(mayUse(managed, BOB, 'DescribeKey', 'api'), true);
  });
});
