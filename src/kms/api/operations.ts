/**
 * The AWS KMS operations the built-in KMS serves, one row per `X-Amz-Target` operation:
 * read the body with the model's constraints (input.ts), call the KMS, shape the answer as
 * AWS does (https://docs.aws.amazon.com/kms/latest/APIReference/). Operations of AWS KMS we do
 * not implement answer UnsupportedOperationException, names AWS does not know
 * UnknownOperationException.
 */
import { randomBytes } from 'node:crypto';
import { KmsError, type JsonObject, type KmsCaller } from '../types.js';
import { ALIAS_PREFIX, aliasArnOf } from '../builtin/arn.js';
import type { BuiltinKms, Opened, Sealed } from '../builtin/kms.js';
import type { KmsKey } from '../builtin/key-record.js';
import { AWS_S3_ALIAS, DEFAULT_ROTATION_DAYS } from '../builtin/keys.js';
import { Input } from './input.js';
import { serialization, unsupported } from './errors.js';
import { SYMMETRIC_DEFAULT, aliasEntry, epochSeconds, keyMetadata, page } from './shapes.js';

type Operation = (kms: BuiltinKms, input: Input, caller: KmsCaller) => JsonObject | undefined | Promise<JsonObject | undefined>;

const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87',
  'ECC_NIST_EDWARDS25519',
] as const;
const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;
const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
const ENCRYPTION_ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const;
const DATA_KEY_SPECS = ['AES_256', 'AES_128'] as const;
const INCLUDE_KEY_MATERIAL = ['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY'] as const;

/** AWS KMS operations we know of but do not serve. */
const NOT_SERVED = new Set([
  'ConnectCustomKeyStore', 'CreateCustomKeyStore', 'CreateGrant', 'Decapsulate', 'DeleteCustomKeyStore',
  'DeleteImportedKeyMaterial', 'DeriveSharedSecret', 'DescribeCustomKeyStores', 'DisconnectCustomKeyStore', 'Encapsulate',
  'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'GenerateMac', 'GetKeyLastUsage', 'GetKeyPolicy',
  'GetParametersForImport', 'GetPublicKey', 'ImportKeyMaterial', 'ListGrants', 'ListKeyPolicies', 'ListResourceTags',
  'ListRetirableGrants', 'PutKeyPolicy', 'ReplicateKey', 'RetireGrant', 'RevokeGrant', 'Sign', 'TagResource',
  'UntagResource', 'UpdateCustomKeyStore', 'UpdatePrimaryRegion', 'Verify', 'VerifyMac',
]);

const dryRun = (input: Input): void => {
  if (input.boolean('DryRun') === true) throw new KmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
};

/** Our keys encrypt with SYMMETRIC_DEFAULT only. */
function algorithm(input: Input, member: string): void {
  const alg = input.enumeration(member, ENCRYPTION_ALGORITHMS);
  if (alg !== undefined && alg !== SYMMETRIC_DEFAULT) {
    throw new KmsError('InvalidKeyUsageException', `Algorithm ${alg} is incompatible with key spec SYMMETRIC_DEFAULT.`);
  }
}

function noRecipient(input: Input): void {
  if (input.has('Recipient')) {
    throw unsupported('Recipient (Nitro Enclaves attestation) is not supported by the Strongbox built-in KMS.');
  }
}

function limit(input: Input): number {
  return input.integer('Limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
}

const invalidMarker = (): KmsError => new KmsError('InvalidMarkerException', 'The marker that specifies where to start the list is not valid.');

/** The data key size GenerateDataKey* asks for: KeySpec or NumberOfBytes, exactly one. */
function dataKeyBytes(input: Input): number {
  const spec = input.enumeration('KeySpec', DATA_KEY_SPECS);
  const n = input.integer('NumberOfBytes', 1, 1024);
  if ((spec === undefined) === (n === undefined)) throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
  return n ?? (spec === 'AES_128' ? 16 : 32);
}

function sealedResult(kms: BuiltinKms, s: Sealed): JsonObject {
  return { CiphertextBlob: s.ciphertext.toString('base64'), KeyId: kms.arn(s.key.keyId) };
}

async function generate(kms: BuiltinKms, input: Input, caller: KmsCaller, withPlaintext: boolean): Promise<JsonObject> {
  const key = await kms.keys.resolve(input.keyId());
  const context = input.context('EncryptionContext');
  const bytes = dataKeyBytes(input);
  if (withPlaintext) noRecipient(input);
  const plaintext = randomBytes(bytes);
  try {
    const action = withPlaintext ? 'GenerateDataKey' : 'GenerateDataKeyWithoutPlaintext';
    kms.authorize(key, caller, action);
    kms.keys.requireUsable(key);
    dryRun(input);
    const sealed = kms.seal(key, plaintext, context, caller, action);
    return {
      ...sealedResult(kms, sealed),
      ...(withPlaintext ? { Plaintext: plaintext.toString('base64') } : {}),
      KeyMaterialId: sealed.material.id,
    };
  } finally {
    plaintext.fill(0);
  }
}

async function openInput(kms: BuiltinKms, input: Input, caller: KmsCaller, keyMember: string, contextMember: string, algMember: string, action: string): Promise<Opened> {
  const blob = input.requiredBlob('CiphertextBlob', 1, MAX_CIPHERTEXT);
  const context = input.context(contextMember);
  algorithm(input, algMember);
  const ref = input.optionalKeyId(keyMember);
  const expect = ref === undefined ? undefined : await kms.keys.resolve(ref);
  return kms.open(blob, context, expect, caller, action);
}

async function createKey(kms: BuiltinKms, input: Input, caller: KmsCaller): Promise<JsonObject> {
  const description = input.string('Description', { max: 8192 }) ?? '';
  input.string('Policy', { min: 1, max: 131072 });
  const usage = input.enumeration('KeyUsage', KEY_USAGES) ?? 'ENCRYPT_DECRYPT';
  const spec = input.enumeration('KeySpec', KEY_SPECS);
  const cmkSpec = input.enumeration('CustomerMasterKeySpec', KEY_SPECS);
  if (spec !== undefined && cmkSpec !== undefined) {
    throw new KmsError('ValidationException', 'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.');
  }
  const keySpec = spec ?? cmkSpec ?? SYMMETRIC_DEFAULT;
  const origin = input.enumeration('Origin', ORIGINS) ?? 'AWS_KMS';
  if (keySpec !== SYMMETRIC_DEFAULT) {
    if (usage === 'ENCRYPT_DECRYPT' && input.string('KeyUsage') === undefined && keySpec.startsWith('HMAC_')) {
      throw new KmsError('ValidationException', 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
    }
    throw unsupported(`KeySpec ${keySpec} is not supported by the Strongbox built-in KMS: it makes SYMMETRIC_DEFAULT keys only.`);
  }
  if (usage !== 'ENCRYPT_DECRYPT') throw new KmsError('ValidationException', `KeyUsage ${usage} is not compatible with KeySpec ${keySpec}`);
  if (origin !== 'AWS_KMS') throw unsupported(`Origin ${origin} is not supported by the Strongbox built-in KMS.`);
  if (input.boolean('MultiRegion') === true) throw unsupported('Multi-Region keys are not supported by the Strongbox built-in KMS.');
  if (input.string('CustomKeyStoreId') !== undefined || input.string('XksKeyId') !== undefined) {
    throw unsupported('Custom key stores are not supported by the Strongbox built-in KMS.');
  }
  return { KeyMetadata: keyMetadata(kms, await kms.createKey(description, caller)) };
}

/** AliasName checks in AWS's order: prefix, characters. */
function aliasName(input: Input): string {
  const name = input.requiredString('AliasName', { min: 1, max: 256 });
  if (!name.startsWith(ALIAS_PREFIX)) {
    throw new KmsError('ValidationException', 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  }
  if (!/^[a-zA-Z0-9:/_-]+$/.test(name)) {
    throw new KmsError('ValidationException', `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`);
  }
  if (name.includes(':') || name === ALIAS_PREFIX) throw new KmsError('ValidationException', `${name} contains invalid characters for an alias`);
  return name;
}

async function scheduleDeletion(kms: BuiltinKms, input: Input, caller: KmsCaller): Promise<JsonObject> {
  const ref = input.keyId();
  const days = input.integer('PendingWindowInDays', 1, 365) ?? 30;
  // The model allows 1–365; the service takes 7–30 (a 7-day minimum unless AWS waives it).
  if (days < 7 || days > 30) throw new KmsError('ValidationException', `PendingWindowInDays should be between 7 and 30, but it is ${days}`);
  const key = await kms.scheduleKeyDeletion(ref, days, caller);
  return {
    KeyId: kms.arn(key.keyId),
    ...(key.deletionDate === undefined ? {} : { DeletionDate: epochSeconds(key.deletionDate) }),
    KeyState: key.state,
    PendingWindowInDays: days,
  };
}

async function rotationStatus(kms: BuiltinKms, input: Input, caller: KmsCaller): Promise<JsonObject> {
  const key = await kms.describable(input.keyId(), caller, 'GetKeyRotationStatus');
  const r = key.rotation;
  return {
    KeyRotationEnabled: r.enabled,
    KeyId: kms.arn(key.keyId),
    ...(r.enabled ? { RotationPeriodInDays: r.periodDays } : {}),
    ...(r.enabled && r.next !== undefined ? { NextRotationDate: epochSeconds(r.next) } : {}),
  };
}

async function listKeyRotations(kms: BuiltinKms, input: Input, caller: KmsCaller): Promise<JsonObject> {
  const key = await kms.describable(input.keyId(), caller, 'ListKeyRotations');
  const include = input.enumeration('IncludeKeyMaterial', INCLUDE_KEY_MATERIAL) ?? 'ROTATIONS_ONLY';
  const n = limit(input);
  const marker = input.string('Marker', { min: 1, max: 1024 });
  const current = key.materials.at(-1)?.version;
  const materials = include === 'ALL_KEY_MATERIAL' ? key.materials : key.materials.filter((m) => m.rotationType !== undefined);
  const p = page(materials, (m) => String(m.version), n, marker);
  if (p === undefined) throw invalidMarker();
  return {
    Rotations: p.items.map((m) => ({
      KeyId: key.keyId,
      KeyMaterialId: m.id,
      KeyMaterialState: m.version === current ? 'CURRENT' : 'NON_CURRENT',
      ...(m.rotationType === undefined ? {} : { RotationDate: epochSeconds(m.createdAt), RotationType: m.rotationType }),
    })),
    Truncated: p.next !== undefined,
    ...(p.next === undefined ? {} : { NextMarker: p.next }),
  };
}

/** The caller's own keys (every key for the root user) and the AWS-managed ones. */
async function listKeys(kms: BuiltinKms, input: Input, caller: KmsCaller): Promise<JsonObject> {
  const n = limit(input);
  const marker = input.string('Marker', { min: 1, max: 1024 });
  // Pages run over tombstones too, so a key deleted between pages never breaks a marker; a
  // key's owner never changes, so neither does the set of keys a caller's pages run over.
  const p = page((await kms.keys.list()).filter((k) => kms.visible(k, caller)), (k) => k.keyId, n, marker);
  if (p === undefined) throw invalidMarker();
  return {
    Keys: p.items.filter((k) => k.state !== 'Deleted').map((k) => ({ KeyId: k.keyId, KeyArn: kms.arn(k.keyId) })),
    Truncated: p.next !== undefined,
    ...(p.next === undefined ? {} : { NextMarker: p.next }),
  };
}

/** Aliases of the keys the caller sees (ListKeys' keys); alias names are global all the same. */
async function listAliases(kms: BuiltinKms, input: Input, caller: KmsCaller): Promise<JsonObject> {
  const ref = input.optionalKeyId('KeyId');
  const keyId = ref === undefined ? undefined : (await kms.describable(ref, caller, 'ListAliases')).keyId;
  const n = limit(input);
  const marker = input.string('Marker', { min: 1, max: 1024 });
  const visible = async (id: string): Promise<boolean> => {
    const key = await kms.keys.load(id);
    return key !== undefined && kms.visible(key, caller);
  };
  const entries: JsonObject[] = [];
  for (const a of await kms.keys.aliases(keyId)) {
    if (keyId !== undefined || (await visible(a.keyId))) entries.push(aliasEntry(kms, a));
  }
  // AWS lists the predefined alias of an AWS-managed key before the key exists, without a target.
  if (keyId === undefined && !entries.some((e) => e['AliasName'] === AWS_S3_ALIAS)) {
    entries.push({ AliasName: AWS_S3_ALIAS, AliasArn: aliasArnOf(kms.scope, AWS_S3_ALIAS) });
    entries.sort((a, b) => String(a['AliasName']).localeCompare(String(b['AliasName'])));
  }
  const p = page(entries, (e) => String(e['AliasName']), n, marker);
  if (p === undefined) throw invalidMarker();
  return { Aliases: p.items, Truncated: p.next !== undefined, ...(p.next === undefined ? {} : { NextMarker: p.next }) };
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateKey: createKey,
  DescribeKey: async (kms, input, caller) => ({ KeyMetadata: keyMetadata(kms, await kms.describable(input.keyId(), caller, 'DescribeKey')) }),
  ListKeys: listKeys,
  UpdateKeyDescription: async (kms, input, caller) => {
    const key = await kms.keys.resolve(input.keyId());
    const description = input.requiredString('Description', { max: 8192 });
    kms.authorize(key, caller, 'UpdateKeyDescription');
    const pending = (k: KmsKey): boolean => k.state === 'PendingDeletion';
    if (pending(key)) throw new KmsError('KMSInvalidStateException', `${kms.arn(key.keyId)} is pending deletion.`);
    await kms.keys.update(
      key.keyId,
      (k) => {
        if (pending(k)) throw new KmsError('KMSInvalidStateException', `${kms.arn(k.keyId)} is pending deletion.`);
        return { ...k, description };
      },
      key,
    );
    return undefined;
  },
  EnableKey: async (kms, input, caller) => (await kms.enableKey(input.keyId(), caller), undefined),
  DisableKey: async (kms, input, caller) => (await kms.disableKey(input.keyId(), caller), undefined),
  ScheduleKeyDeletion: scheduleDeletion,
  CancelKeyDeletion: async (kms, input, caller) => ({ KeyId: kms.arn((await kms.cancelKeyDeletion(input.keyId(), caller)).keyId) }),
  CreateAlias: async (kms, input, caller) => {
    const name = aliasName(input);
    await kms.createAlias(name, input.keyId('TargetKeyId'), caller);
    return undefined;
  },
  UpdateAlias: async (kms, input, caller) => {
    const name = aliasName(input);
    await kms.updateAlias(name, input.keyId('TargetKeyId'), caller);
    return undefined;
  },
  DeleteAlias: async (kms, input, caller) => (await kms.deleteAlias(aliasName(input), caller), undefined),
  ListAliases: listAliases,
  EnableKeyRotation: async (kms, input, caller) => {
    const ref = input.keyId();
    const period = input.integer('RotationPeriodInDays', 90, 2560) ?? DEFAULT_ROTATION_DAYS;
    await kms.enableKeyRotation(ref, period, caller);
    return undefined;
  },
  DisableKeyRotation: async (kms, input, caller) => (await kms.disableKeyRotation(input.keyId(), caller), undefined),
  GetKeyRotationStatus: rotationStatus,
  RotateKeyOnDemand: async (kms, input, caller) => ({ KeyId: kms.arn((await kms.rotateKeyOnDemand(input.keyId(), caller)).keyId) }),
  ListKeyRotations: listKeyRotations,
  GenerateDataKey: (kms, input, caller) => generate(kms, input, caller, true),
  GenerateDataKeyWithoutPlaintext: (kms, input, caller) => generate(kms, input, caller, false),
  GenerateRandom: (_kms, input) => {
    const n = input.integer('NumberOfBytes', 1, 1024);
    if (n === undefined) throw new KmsError('ValidationException', 'NumberOfBytes is required.');
    if (input.string('CustomKeyStoreId') !== undefined) throw unsupported('Custom key stores are not supported by the Strongbox built-in KMS.');
    noRecipient(input);
    return { Plaintext: randomBytes(n).toString('base64') };
  },
  Encrypt: async (kms, input, caller) => {
    const key = await kms.keys.resolve(input.keyId());
    const plaintext = input.requiredBlob('Plaintext', 1, MAX_PLAINTEXT);
    const context = input.context('EncryptionContext');
    algorithm(input, 'EncryptionAlgorithm');
    kms.authorize(key, caller, 'Encrypt');
    kms.keys.requireUsable(key);
    dryRun(input);
    return { ...sealedResult(kms, kms.seal(key, plaintext, context, caller)), EncryptionAlgorithm: SYMMETRIC_DEFAULT };
  },
  Decrypt: async (kms, input, caller) => {
    noRecipient(input);
    const opened = await openInput(kms, input, caller, 'KeyId', 'EncryptionContext', 'EncryptionAlgorithm', 'Decrypt');
    try {
      dryRun(input);
      return {
        KeyId: kms.arn(opened.key.keyId),
        Plaintext: opened.plaintext.toString('base64'),
        EncryptionAlgorithm: SYMMETRIC_DEFAULT,
        KeyMaterialId: opened.material.id,
      };
    } finally {
      opened.plaintext.fill(0);
    }
  },
  ReEncrypt: async (kms, input, caller) => {
    const destination = await kms.keys.resolve(input.keyId('DestinationKeyId'));
    const destinationContext = input.context('DestinationEncryptionContext');
    algorithm(input, 'DestinationEncryptionAlgorithm');
    const opened = await openInput(kms, input, caller, 'SourceKeyId', 'SourceEncryptionContext', 'SourceEncryptionAlgorithm', 'ReEncryptFrom');
    try {
      kms.authorize(destination, caller, 'ReEncryptTo');
      kms.keys.requireUsable(destination);
      dryRun(input);
      const sealed = kms.seal(destination, opened.plaintext, destinationContext, caller, 'ReEncryptTo');
      return {
        CiphertextBlob: sealed.ciphertext.toString('base64'),
        SourceKeyId: kms.arn(opened.key.keyId),
        KeyId: kms.arn(destination.keyId),
        SourceEncryptionAlgorithm: SYMMETRIC_DEFAULT,
        DestinationEncryptionAlgorithm: SYMMETRIC_DEFAULT,
        SourceKeyMaterialId: opened.material.id,
        DestinationKeyMaterialId: sealed.material.id,
      };
    } finally {
      opened.plaintext.fill(0);
    }
  },
};

/** Runs one operation on a parsed body; the table above is the whole API. */
export async function runOperation(kms: BuiltinKms, operation: string, body: JsonObject, caller: KmsCaller): Promise<JsonObject | undefined> {
  const op = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
  if (op === undefined) {
    if (NOT_SERVED.has(operation)) throw unsupported(`${operation} is not supported by the Strongbox built-in KMS.`);
    throw new KmsError('UnknownOperationException', '');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw serialization();
  return op(kms, new Input(body), caller);
}
