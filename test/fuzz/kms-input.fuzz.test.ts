/**
 * The KMS JSON input (src/kms/api/input.ts, the list pages of shapes.ts, and every operation
 * of operations.ts on a real built-in KMS): any JSON in any member is the typed value within
 * the model's bounds, or a KmsError of the validation kinds; valid members read back; any body
 * to any operation ends in a result or a 4xx KmsError, never another error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Input } from '../../src/kms/api/input.js';
import { runOperation } from '../../src/kms/api/operations.js';
import { page } from '../../src/kms/api/shapes.js';
import { BuiltinKms } from '../../src/kms/builtin/kms.js';
import { KmsError, type JsonObject } from '../../src/kms/types.js';
import { openSqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { ACCOUNT, Clock, REGION, ROOT, keyring, userCaller, ANONYMOUS } from '../kms/helpers.js';
import { fc, fuzz, fuzzAsync, throwsOnly, unicodeString } from './harness.js';

const VALIDATION = ['SerializationException', 'ValidationException'];
const json = fc.jsonValue({ maxDepth: 3 });
/** Values a member may hold: any JSON, and the shapes members have, with edge lengths. */
const member = fc.oneof(
  json,
  unicodeString(8),
  fc.integer({ min: -5, max: 1100 }),
  fc.double(),
  fc.uint8Array({ maxLength: 5000 }).map((b) => Buffer.from(b).toString('base64')),
  fc.dictionary(unicodeString(6), fc.oneof(unicodeString(6), json), { maxKeys: 3 }),
);

function validationOnly<T>(fn: () => T): T | undefined {
  let value: T | undefined;
  const err = throwsOnly(KmsError, () => {
    value = fn();
  });
  if (err !== undefined) {
    assert.ok(VALIDATION.includes(err.type), `${err.type}: ${err.message}`);
    assert.equal(err.status, 400);
  }
  return value;
}

fuzz('KMS input: any JSON in a member is a value within the model or a validation error', fc.tuple(member, fc.integer({ min: 0, max: 8 })), ([value, min]) => {
  const input = new Input({ M: value });
  const s = validationOnly(() => input.string('M', { min, max: min + 20 }));
  if (s !== undefined) assert.ok(typeof s === 'string' && s.length >= min && s.length <= min + 20);
  const n = validationOnly(() => input.integer('M', 1, 1000));
  if (n !== undefined) assert.ok(Number.isInteger(n) && n >= 1 && n <= 1000);
  const b = validationOnly(() => input.boolean('M'));
  if (b !== undefined) assert.equal(typeof b, 'boolean');
  const blob = validationOnly(() => input.blob('M', 1, 4096));
  if (blob !== undefined) assert.ok(blob.length >= 1 && blob.length <= 4096);
  const ctx = validationOnly(() => input.context('M'));
  if (ctx !== undefined) assert.ok(Object.values(ctx).every((v) => typeof v === 'string'));
  const e = validationOnly(() => input.enumeration('M', ['AES_256', 'AES_128']));
  if (e !== undefined) assert.ok(e === 'AES_256' || e === 'AES_128');
  validationOnly(() => input.keyId('M'));
  validationOnly(() => input.requiredBlob('M', 1, 6144));
  if (value === null) assert.throws(() => input.keyId('M'), (err: unknown) => err instanceof KmsError && err.type === 'ValidationException');
});

fuzz(
  'KMS input: valid members read back as sent',
  fc.record({
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4096 }),
    context: fc.dictionary(unicodeString(10), unicodeString(10), { maxKeys: 5 }),
    n: fc.integer({ min: 1, max: 1024 }),
    s: unicodeString(2048, 1),
    flag: fc.boolean(),
  }),
  ({ bytes, context, n, s, flag }) => {
    const body = JSON.parse(JSON.stringify({ B: Buffer.from(bytes).toString('base64'), C: context, N: n, S: s, F: flag })) as JsonObject;
    const input = new Input(body);
    assert.deepEqual(input.requiredBlob('B', 1, 4096), Buffer.from(bytes));
    assert.deepEqual(input.context('C'), { ...context });
    assert.equal(input.integer('N', 1, 1024), n);
    assert.equal(input.keyId('S'), s);
    assert.equal(input.boolean('F'), flag);
    assert.equal(input.string('Absent'), undefined);
  },
);

fuzz(
  'KMS pages: following the markers lists every item once, in order',
  fc.tuple(fc.uniqueArray(fc.string({ maxLength: 6 }), { maxLength: 60 }), fc.integer({ min: 1, max: 1000 })),
  ([items, limit]) => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i <= items.length; i++) {
      const p = page(items, (x) => x, limit, marker);
      assert.ok(p !== undefined);
      assert.ok(p.items.length <= limit);
      seen.push(...p.items);
      marker = p.next;
      if (marker === undefined) break;
    }
    assert.deepEqual(seen, items);
    assert.equal(page(items, (x) => x, limit, '\u0000not-an-item'), undefined);
  },
);

// ---- every operation on a real built-in KMS ------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'sb-kms-fuzz-'));
const meta = openSqliteMetaStore(dir, { writer: 'inline' });
const kms = new BuiltinKms({ meta, rootKey: keyring([1]), region: REGION, accountId: ACCOUNT, now: new Clock().now });
after(async () => {
  await meta.close();
  rmSync(dir, { recursive: true, force: true });
});

const OPERATIONS = [
  'CreateKey', 'DescribeKey', 'ListKeys', 'UpdateKeyDescription', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion',
  'CancelKeyDeletion', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases', 'EnableKeyRotation', 'DisableKeyRotation',
  'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ListKeyRotations', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
  'GenerateRandom', 'Encrypt', 'Decrypt', 'ReEncrypt', 'Sign', 'NoSuchOperation', 'constructor', '__proto__', 'toString',
];
const MEMBERS = [
  'AliasName', 'CiphertextBlob', 'CustomKeyStoreId', 'CustomerMasterKeySpec', 'Description', 'DestinationEncryptionContext',
  'DestinationKeyId', 'DryRun', 'EncryptionContext', 'IncludeKeyMaterial', 'KeyId', 'KeySpec', 'KeyUsage', 'Limit', 'Marker',
  'MultiRegion', 'NumberOfBytes', 'Origin', 'PendingWindowInDays', 'Plaintext', 'Policy', 'Recipient', 'RotationPeriodInDays',
  'TargetKeyId', 'XksKeyId', 'SourceKeyId', 'SourceEncryptionContext', 'EncryptionAlgorithm', 'GrantTokens', 'Tags',
];
/** Values that get past the first checks: key references, aliases, blobs, enum members. */
const plausible = fc.oneof(
  fc.constantFrom('alias/aws/s3', 'alias/fuzz', 'alias/fuzz2', 'aws/s3', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/fuzz`, 'AES_256', 'AES_128', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', 'RSA_2048', 7, 32, 90, 365, true, false),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
  fc.constant('AAAA'),
);
const body = fc.dictionary(fc.constantFrom(...MEMBERS), fc.oneof(plausible, member), { maxKeys: 6 });
const caller = fc.constantFrom(ROOT, userCaller('alice'), userCaller('bob'), ANONYMOUS);

fuzzAsync(
  'KMS operations: any body to any operation is a result or a 4xx KmsError',
  fc.tuple(fc.constantFrom(...OPERATIONS), body, caller, fc.boolean()),
  async ([operation, raw, who, useKnownKey]) => {
    const input = JSON.parse(JSON.stringify(raw)) as JsonObject;
    // Often aim at a key that exists, so that the checks after the lookup run too.
    if (useKnownKey) {
      const keys = (await meta.listKmsKeys());
      const known = keys[keys.length - 1];
      if (known !== undefined) input.KeyId = known.keyId;
    }
    try {
      const result = await runOperation(kms, operation, input, who);
      if (result !== undefined) JSON.stringify(result);
    } catch (err) {
      if (!(err instanceof KmsError)) assert.fail(`${operation} ${JSON.stringify(input)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      assert.ok(err.status < 500, `${operation} ${JSON.stringify(input)}: ${err.type} ${err.status} ${err.message}`);
    }
  },
);
