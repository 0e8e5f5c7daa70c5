/**
 * The built-in KMS over a real SQLite metadata store with an injected clock: key states,
 * rotation (on demand and automatic), the deletion waiting period, the AWS-managed aws/s3 key,
 * the material cache never outliving a state change, and sealing under the root key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KmsError } from '../../src/kms/types.js';
import { openKms, ensureKmsAlias } from '../../src/kms/index.js';
import { fromRecord } from '../../src/kms/builtin/key-record.js';
import { openMaterial } from '../../src/kms/builtin/material.js';
import { parseBlob } from '../../src/kms/builtin/ciphertext.js';
import { ACCOUNT, DAY, REGION, ROOT, T0, fixture, keyring } from './helpers.js';

const CTX = { 'aws:s3:arn': 'arn:aws:s3:::b/k' };

async function rejects(p: Promise<unknown> | (() => unknown), type: string, message?: string): Promise<KmsError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof KmsError, `expected KmsError ${type}, got ${String(caught)}`);
  assert.equal(caught.type, type, caught.message);
  if (message !== undefined) assert.equal(caught.message, message);
  return caught;
}

const arnOf = (keyId: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;

describe('built-in KMS', () => {
  it('generates data keys that decrypt with the same context only, and names the key by ARN', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    for (const ref of [key.keyId, arnOf(key.keyId)]) {
      const g = await f.kms.generateDataKey(ref, CTX, 32, ROOT);
      assert.equal(g.keyArn, arnOf(key.keyId));
      assert.equal(g.plaintext.length, 32);
      const d = await f.kms.decrypt(g.ciphertext, CTX, ROOT);
      assert.deepEqual(d.plaintext, g.plaintext);
      assert.equal(d.keyArn, arnOf(key.keyId));
      await rejects(f.kms.decrypt(g.ciphertext, { 'aws:s3:arn': 'arn:aws:s3:::b/other' }, ROOT), 'InvalidCiphertextException');
      const damaged = Buffer.from(g.ciphertext);
      damaged[damaged.length - 1]! ^= 1;
      await rejects(f.kms.decrypt(damaged, CTX, ROOT), 'InvalidCiphertextException');
    }
    assert.equal((await f.kms.generateDataKey(key.keyId, {}, 64, ROOT)).plaintext.length, 64);
  });

  it('resolves aliases and answers unknown references with AWS messages', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    await f.kms.createAlias('alias/app', key.keyId, ROOT);
    assert.equal(await f.kms.keyArn('alias/app'), arnOf(key.keyId));
    assert.equal(await f.kms.keyArn(`arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`), arnOf(key.keyId));
    await rejects(f.kms.keyArn('fake-key-id'), 'NotFoundException', "Invalid keyId 'fake-key-id'");
    const unknown = '00000000-0000-4000-8000-000000000000';
    await rejects(f.kms.generateDataKey(unknown, CTX, 32, ROOT), 'NotFoundException', `Key '${arnOf(unknown)}' does not exist`);
    await rejects(f.kms.keyArn('alias/nope'), 'NotFoundException', `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/nope is not found.`);
  });

  it('creates the AWS-managed aws/s3 key on first use, once, and keeps customers from managing it', async (t) => {
    const f = fixture(t);
    assert.equal((await f.kms.listKeys(ROOT)).length, 0);
    const g = await f.kms.generateDataKey(undefined, CTX, 32, ROOT);
    const again = await f.kms.keyArn(undefined);
    assert.equal(again, g.keyArn);
    assert.equal(await f.kms.keyArn('alias/aws/s3'), g.keyArn);
    assert.equal((await f.kms.listKeys(ROOT)).length, 1);
    const described = await f.kms.api('DescribeKey', { KeyId: 'alias/aws/s3' }, ROOT);
    const md = described?.['KeyMetadata'] as Record<string, unknown>;
    assert.equal(md['KeyManager'], 'AWS');
    assert.equal(md['Description'], 'Default key that protects my S3 objects when no other key is defined');
    const id = String(md['KeyId']);
    const denied = (action: string) =>
      `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: kms:${action} on resource: ${arnOf(id)} because no resource-based policy allows the kms:${action} action`;
    await rejects(f.kms.api('DisableKey', { KeyId: id }, ROOT), 'AccessDeniedException', denied('DisableKey'));
    await rejects(f.kms.api('ScheduleKeyDeletion', { KeyId: id, PendingWindowInDays: 7 }, ROOT), 'AccessDeniedException', denied('ScheduleKeyDeletion'));
    await rejects(f.kms.api('DisableKeyRotation', { KeyId: id }, ROOT), 'AccessDeniedException', denied('DisableKeyRotation'));
    await rejects(f.kms.api('Decrypt', { CiphertextBlob: g.ciphertext.toString('base64'), EncryptionContext: CTX }, ROOT), 'AccessDeniedException', denied('Decrypt'));
    await rejects(f.kms.api('CreateAlias', { AliasName: 'alias/aws/mine', TargetKeyId: id }, ROOT), 'NotAuthorizedException');
    await rejects(f.kms.api('DeleteAlias', { AliasName: 'alias/aws/s3' }, ROOT), 'NotAuthorizedException');
    // S3 itself still uses it.
    assert.deepEqual((await f.kms.decrypt(g.ciphertext, CTX, ROOT)).plaintext, g.plaintext);
    const status = await f.kms.api('GetKeyRotationStatus', { KeyId: id }, ROOT);
    assert.equal(status?.['KeyRotationEnabled'], true);
  });

  it('refuses a disabled key at once, even with its material cached or disabled by another process', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    const arn = arnOf(key.keyId);
    const g = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    await f.kms.decrypt(g.ciphertext, CTX, ROOT); // material now cached
    const first = f.kms;
    const other = f.reopen();
    await other.disableKey(key.keyId, ROOT);
    await rejects(first.decrypt(g.ciphertext, CTX, ROOT), 'DisabledException', `${arn} is disabled.`);
    await rejects(first.generateDataKey(key.keyId, CTX, 32, ROOT), 'DisabledException', `${arn} is disabled.`);
    await rejects(first.api('Encrypt', { KeyId: key.keyId, Plaintext: 'eA==' }, ROOT), 'DisabledException', `${arn} is disabled.`);
    await other.enableKey(key.keyId, ROOT);
    assert.deepEqual((await first.decrypt(g.ciphertext, CTX, ROOT)).plaintext, g.plaintext);
  });

  it('rotates on demand: new blobs use the new version, old blobs still decrypt, up to the AWS limit', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    const before = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    assert.equal(parseBlob(before.ciphertext)?.version, 1);
    const out = await f.kms.api('RotateKeyOnDemand', { KeyId: key.keyId }, ROOT);
    assert.equal(out?.['KeyId'], arnOf(key.keyId));
    const after = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    assert.equal(parseBlob(after.ciphertext)?.version, 2);
    assert.deepEqual((await f.kms.decrypt(before.ciphertext, CTX, ROOT)).plaintext, before.plaintext);
    assert.deepEqual((await f.kms.decrypt(after.ciphertext, CTX, ROOT)).plaintext, after.plaintext);
    const rotations = await f.kms.api('ListKeyRotations', { KeyId: key.keyId }, ROOT);
    const list = rotations?.['Rotations'] as Record<string, unknown>[];
    assert.equal(list.length, 1);
    assert.equal(list[0]?.['RotationType'], 'ON_DEMAND');
    assert.equal(list[0]?.['KeyMaterialState'], 'CURRENT');
    const all = await f.kms.api('ListKeyRotations', { KeyId: key.keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }, ROOT);
    assert.deepEqual((all?.['Rotations'] as Record<string, unknown>[]).map((r) => r['KeyMaterialState']), ['NON_CURRENT', 'CURRENT']);
    for (let i = 1; i < 10; i++) await f.kms.api('RotateKeyOnDemand', { KeyId: key.keyId }, ROOT);
    await rejects(
      f.kms.api('RotateKeyOnDemand', { KeyId: key.keyId }, ROOT),
      'LimitExceededException',
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arnOf(key.keyId)}`,
    );
    assert.deepEqual((await f.kms.decrypt(before.ciphertext, CTX, ROOT)).plaintext, before.plaintext);
  });

  it('rotates automatically once the period has passed (checked when the key is used), not while disabled', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    await rejects(f.kms.api('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 89 }, ROOT), 'ValidationException',
      "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90");
    await rejects(f.kms.api('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 2561 }, ROOT), 'ValidationException');
    await f.kms.api('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 }, ROOT);
    const status = await f.kms.api('GetKeyRotationStatus', { KeyId: key.keyId }, ROOT);
    assert.equal(status?.['RotationPeriodInDays'], 90);
    assert.equal(status?.['NextRotationDate'], (T0.getTime() + 90 * DAY) / 1000);
    const old = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    f.clock.advance(90 * DAY - 1);
    assert.equal(parseBlob((await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT)).ciphertext)?.version, 1);
    f.clock.advance(1);
    const fresh = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    assert.equal(parseBlob(fresh.ciphertext)?.version, 2);
    assert.deepEqual((await f.kms.decrypt(old.ciphertext, CTX, ROOT)).plaintext, old.plaintext);
    const next = await f.kms.api('GetKeyRotationStatus', { KeyId: key.keyId }, ROOT);
    assert.equal(next?.['NextRotationDate'], (T0.getTime() + 180 * DAY) / 1000);

    await f.kms.disableKey(key.keyId, ROOT);
    f.clock.advance(200 * DAY);
    await f.kms.api('DescribeKey', { KeyId: key.keyId }, ROOT);
    assert.equal(fromRecord((await f.meta.getKmsKey(key.keyId))!).materials.length, 2, 'a disabled key does not rotate');
    await rejects(f.kms.api('EnableKeyRotation', { KeyId: key.keyId }, ROOT), 'DisabledException', `${arnOf(key.keyId)} is disabled.`);
  });

  it('never deletes before the waiting period ends; after it, the key is gone and its material erased', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    const arn = arnOf(key.keyId);
    await f.kms.createAlias('alias/doomed', key.keyId, ROOT);
    const g = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    for (const days of [6, 31]) {
      await rejects(f.kms.api('ScheduleKeyDeletion', { KeyId: key.keyId, PendingWindowInDays: days }, ROOT), 'ValidationException',
        `PendingWindowInDays should be between 7 and 30, but it is ${days}`);
    }
    const out = await f.kms.api('ScheduleKeyDeletion', { KeyId: key.keyId, PendingWindowInDays: 7 }, ROOT);
    assert.deepEqual(out, { KeyId: arn, DeletionDate: (T0.getTime() + 7 * DAY) / 1000, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    await rejects(f.kms.decrypt(g.ciphertext, CTX, ROOT), 'KMSInvalidStateException', `${arn} is pending deletion.`);
    await rejects(f.kms.generateDataKey('alias/doomed', CTX, 32, ROOT), 'KMSInvalidStateException', `${arn} is pending deletion.`);
    await rejects(f.kms.api('ScheduleKeyDeletion', { KeyId: key.keyId }, ROOT), 'KMSInvalidStateException', `${arn} is pending deletion.`);
    await rejects(f.kms.api('EnableKey', { KeyId: key.keyId }, ROOT), 'KMSInvalidStateException', `${arn} is pending deletion.`);

    f.clock.advance(7 * DAY - 1);
    const md = (await f.kms.api('DescribeKey', { KeyId: key.keyId }, ROOT))?.['KeyMetadata'] as Record<string, unknown>;
    assert.equal(md['KeyState'], 'PendingDeletion');
    assert.equal(md['PendingDeletionWindowInDays'], 7);
    assert.equal(fromRecord((await f.meta.getKmsKey(key.keyId))!).materials.length, 1, 'material kept until the end');

    f.clock.advance(1);
    await rejects(f.kms.api('DescribeKey', { KeyId: key.keyId }, ROOT), 'NotFoundException', `Key '${arn}' does not exist`);
    const tomb = fromRecord((await f.meta.getKmsKey(key.keyId))!);
    assert.equal(tomb.state, 'Deleted');
    assert.equal(tomb.materials.length, 0);
    assert.equal((await f.meta.getKmsAlias('alias/doomed')), undefined, 'its aliases go with it');
    await rejects(f.kms.decrypt(g.ciphertext, CTX, ROOT), 'NotFoundException', `Key '${arn}' does not exist`);
    assert.ok(!(await f.kms.listKeys(ROOT)).some((k) => k.keyId === key.keyId));
  });

  it('cancelling deletion leaves the key Disabled, as AWS does', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    await rejects(f.kms.api('CancelKeyDeletion', { KeyId: key.keyId }, ROOT), 'KMSInvalidStateException', `${arnOf(key.keyId)} is not pending deletion.`);
    await f.kms.api('ScheduleKeyDeletion', { KeyId: key.keyId }, ROOT);
    assert.deepEqual(await f.kms.api('CancelKeyDeletion', { KeyId: key.keyId }, ROOT), { KeyId: arnOf(key.keyId) });
    const md = (await f.kms.api('DescribeKey', { KeyId: key.keyId }, ROOT))?.['KeyMetadata'] as Record<string, unknown>;
    assert.equal(md['KeyState'], 'Disabled');
    assert.equal(md['Enabled'], false);
    assert.equal(md['DeletionDate'], undefined);
    f.clock.advance(40 * DAY);
    await f.kms.api('EnableKey', { KeyId: key.keyId }, ROOT);
    await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
  });

  it('deletes keys whose waiting period ended while the server was down, at start', async (t) => {
    const f = fixture(t);
    const key = (await f.kms.createKey('k'));
    await f.kms.scheduleKeyDeletion(key.keyId, 30, ROOT);
    f.clock.advance(31 * DAY);
    await openKms({ meta: f.meta, rootKey: keyring([1]), region: REGION, accountId: ACCOUNT, now: f.clock.now });
    assert.equal(fromRecord((await f.meta.getKmsKey(key.keyId))!).state, 'Deleted');
  });

  it('keeps material sealed under the root key only, and re-seals it after a root key rotation', async (t) => {
    const f = fixture(t, keyring([1]));
    const key = (await f.kms.createKey('k'));
    const g = await f.kms.generateDataKey(key.keyId, CTX, 32, ROOT);
    const stored = fromRecord((await f.meta.getKmsKey(key.keyId))!);
    const material = openMaterial(keyring([1]), key.keyId, stored.materials[0]!);
    const json = JSON.stringify((await f.meta.getKmsKey(key.keyId))!.meta);
    for (const enc of ['base64', 'hex', 'base64url'] as const) assert.ok(!json.includes(material.toString(enc)), `material not stored as ${enc}`);
    assert.equal(stored.materials[0]!.rootVersion, 1);

    // After a restart with a rotated root key, old material still opens; re-sealing moves it.
    const kms2 = f.reopen(keyring([1, 2]));
    assert.deepEqual((await kms2.decrypt(g.ciphertext, CTX, ROOT)).plaintext, g.plaintext);
    assert.equal(await kms2.resealMaterials(), 1);
    assert.equal(fromRecord((await f.meta.getKmsKey(key.keyId))!).materials[0]!.rootVersion, 2);
    assert.equal(await kms2.resealMaterials(), 0);
    const onlyV2 = { ...keyring([1, 2]), versions: keyring([1, 2]).versions.slice(1) };
    const kms3 = f.reopen({ ...onlyV2, get: (v: number) => onlyV2.versions.find((k) => k.version === v) });
    assert.deepEqual((await kms3.decrypt(g.ciphertext, CTX, ROOT)).plaintext, g.plaintext);
  });

  it('--kms-alias: ensureKmsAlias creates a key behind a missing alias and reuses an existing one', async (t) => {
    const f = fixture(t);
    const a = await ensureKmsAlias(f.kms, 'testkey-1');
    assert.equal(a.created, true);
    const b = await ensureKmsAlias(f.kms, 'testkey-1');
    assert.deepEqual(b, { keyArn: a.keyArn, created: false });
    assert.equal((await f.kms.listKeys(ROOT)).length, 1);
  });
});
