/**
 * The built-in KMS: symmetric AES-256-GCM keys whose material is sealed under the root key,
 * with the key states, rotation and deletion rules of AWS KMS
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html). S3 uses it through
 * the three calls of KeyManagementService; the AWS KMS JSON API (../api/) through the rest.
 *
 * Every call reads the key's record first, so state changes take effect at once; only
 * unsealed material is cached (cache.ts).
 */
import { secureRandomBytes } from '../../crypto/random.js';
import type { MetaStore } from '../../store/meta/types.js';
import type { RootKeyring } from '../../crypto/root-key.js';
import {
  KmsError,
  type EncryptionContext,
  type GeneratedDataKey,
  type KeyManagementService,
  type KmsCaller,
} from '../types.js';
import { ALIAS_PREFIX, AWS_ALIAS_PREFIX, type KmsScope, aliasArnOf, aliasNotFound, keyDoesNotExist, parseKeyRef } from './arn.js';
import { MaterialCache } from './cache.js';
import { decryptBlob, encryptBlob, parseBlob } from './ciphertext.js';
import type { KmsKey, MaterialVersion } from './key-record.js';
import { type KmsDoor, checkAccess, mayDescribe, ownerOfNewKey } from './key-access.js';
import { KeyStore, addDays, pendingDeletion } from './keys.js';

export interface BuiltinKmsOptions extends KmsScope {
  readonly meta: MetaStore;
  readonly rootKey: RootKeyring;
  readonly now: () => Date;
  /** How long unsealed material stays cached (default cache.ts MATERIAL_TTL_MS). */
  readonly cacheTtlMs?: number;
}

/** AWS's limit of on-demand rotations per key. */
export const ON_DEMAND_ROTATION_LIMIT = 10;

/** What an encryption made: the blob, and which key and material version made it. */
export interface Sealed {
  readonly key: KmsKey;
  readonly material: MaterialVersion;
  readonly ciphertext: Buffer;
}

export interface Opened {
  readonly key: KmsKey;
  readonly material: MaterialVersion;
  /** Owned by the caller, who wipes it. */
  readonly plaintext: Buffer;
}

const invalidCiphertext = (): KmsError => new KmsError('InvalidCiphertextException', '');
export const incorrectKey = (): KmsError =>
  new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');

export class BuiltinKms implements KeyManagementService {
  readonly keys: KeyStore;
  private readonly cache: MaterialCache;

  constructor(private readonly o: BuiltinKmsOptions) {
    this.cache = new MaterialCache(o.now, o.cacheTtlMs);
    this.keys = new KeyStore({ ...o, cache: this.cache });
  }

  get scope(): KmsScope {
    return this.o;
  }

  get now(): Date {
    return this.o.now();
  }

  arn(keyId: string): string {
    return this.keys.arn(keyId);
  }

  /** Re-seals key material under the newest root key version; resolves with how many keys changed. */
  async resealMaterials(): Promise<number> {
    return this.keys.resealMaterials();
  }

  // ---- the S3 seam ------------------------------------------------------------------------

  async generateDataKey(keyRef: string | undefined, context: EncryptionContext, bytes: number, caller: KmsCaller): Promise<GeneratedDataKey> {
    const key = keyRef === undefined ? await this.keys.awsS3Key() : await this.keys.resolveFromS3(keyRef);
    const plaintext = secureRandomBytes(bytes);
    try {
      const sealed = this.seal(key, plaintext, context, caller, 'GenerateDataKey', 's3');
      return { keyArn: this.arn(sealed.key.keyId), plaintext, ciphertext: sealed.ciphertext };
    } catch (err) {
      plaintext.fill(0);
      throw err;
    }
  }

  async decrypt(ciphertext: Buffer, context: EncryptionContext, caller: KmsCaller): Promise<{ readonly keyArn: string; readonly plaintext: Buffer }> {
    const opened = await this.open(ciphertext, context, undefined, caller, 'Decrypt', 's3');
    return { keyArn: this.arn(opened.key.keyId), plaintext: opened.plaintext };
  }

  async keyArn(keyRef: string | undefined): Promise<string> {
    return this.arn((keyRef === undefined ? await this.keys.awsS3Key() : await this.keys.resolveFromS3(keyRef)).keyId);
  }

  // ---- cryptography -----------------------------------------------------------------------

  /** Encrypts under the key's current material, if `caller` may do `action` through `door`. */
  seal(key: KmsKey, plaintext: Buffer, context: EncryptionContext, caller: KmsCaller, action = 'Encrypt', door: KmsDoor = 'api'): Sealed {
    this.authorize(key, caller, action, door);
    this.keys.requireUsable(key);
    const material = this.keys.current(key);
    const secret = this.keys.material(key, material.version);
    if (secret === undefined) throw keyDoesNotExist(this.arn(key.keyId));
    const ciphertext = encryptBlob(secret, { keyId: key.keyId, version: material.version }, plaintext, context);
    return { key, material, ciphertext };
  }

  /**
   * Decrypts a blob of ours. `expect`: the key the caller says it is under (Decrypt's KeyId,
   * ReEncrypt's SourceKeyId); another key is IncorrectKeyException. `caller` must be allowed
   * `action` on the key the blob names, through `door`.
   */
  async open(blob: Buffer, context: EncryptionContext, expect: KmsKey | undefined, caller: KmsCaller, action = 'Decrypt', door: KmsDoor = 'api'): Promise<Opened> {
    const header = parseBlob(blob);
    if (header === undefined) throw invalidCiphertext();
    if (expect !== undefined && expect.keyId !== header.keyId) throw incorrectKey();
    const key = await this.keys.load(header.keyId);
    if (key === undefined) throw invalidCiphertext();
    if (key.state === 'Deleted') throw keyDoesNotExist(this.arn(key.keyId));
    this.authorize(key, caller, action, door);
    this.keys.requireUsable(key);
    const material = key.materials.find((m) => m.version === header.version);
    const secret = material === undefined ? undefined : this.keys.material(key, material.version);
    const plaintext = secret === undefined ? undefined : decryptBlob(secret, blob, context);
    if (material === undefined || plaintext === undefined) throw invalidCiphertext();
    return { key, material, plaintext };
  }

  // ---- key management ---------------------------------------------------------------------

  /**
   * A new customer key owned by `creator` (CreateKey's signer), or by the root user when the
   * server makes it itself (`serve --kms-alias`: `creator` undefined).
   */
  createKey(description: string, creator?: KmsCaller): Promise<KmsKey> {
    return this.keys.create(description, 'CUSTOMER', creator === undefined ? undefined : ownerOfNewKey(this.o, creator));
  }

  /** Keys that exist (pending deletion included, deleted ones not) and that `caller` may see. */
  async listKeys(caller: KmsCaller): Promise<KmsKey[]> {
    return (await this.keys.list()).filter((k) => k.state !== 'Deleted' && mayDescribe(k, caller));
  }

  /** The key a reference names, if `caller` may do `action` on it (DescribeKey, rotation status …). */
  async describable(ref: string, caller: KmsCaller, action: string): Promise<KmsKey> {
    const key = await this.keys.resolve(ref);
    this.authorize(key, caller, action);
    return key;
  }

  // Each change below is a compare-and-set (KeyStore.update): the state checks run again on
  // the key as it is when the change commits, and a change made meanwhile by another process is kept.

  async enableKey(ref: string, caller: KmsCaller): Promise<void> {
    const key = await this.manageable(ref, caller, 'EnableKey');
    await this.keys.update(key.keyId, (k) => (this.requireManageable(k).state === 'Disabled' ? { ...k, state: 'Enabled' } : undefined), key);
  }

  async disableKey(ref: string, caller: KmsCaller): Promise<void> {
    const key = await this.manageable(ref, caller, 'DisableKey');
    await this.keys.update(key.keyId, (k) => ({ ...this.requireManageable(k), state: 'Disabled' }), key);
    this.cache.invalidate(key.keyId);
  }

  async scheduleKeyDeletion(ref: string, days: number, caller: KmsCaller): Promise<KmsKey> {
    const key = await this.manageable(ref, caller, 'ScheduleKeyDeletion');
    const scheduled = await this.keys.update(
      key.keyId,
      (k) => ({ ...this.requireManageable(k), state: 'PendingDeletion', deletionDate: addDays(this.now, days), pendingWindowInDays: days }),
      key,
    );
    this.cache.invalidate(key.keyId);
    if (scheduled === undefined) throw keyDoesNotExist(this.arn(key.keyId));
    return scheduled;
  }

  /** Back to Disabled, as AWS does: the owner enables it explicitly. */
  async cancelKeyDeletion(ref: string, caller: KmsCaller): Promise<KmsKey> {
    const key = await this.keys.resolve(ref);
    this.authorize(key, caller, 'CancelKeyDeletion');
    const cancelled = await this.keys.update(
      key.keyId,
      (k) => {
        if (k.state !== 'PendingDeletion') throw new KmsError('KMSInvalidStateException', `${this.arn(k.keyId)} is not pending deletion.`);
        const { deletionDate: _d, pendingWindowInDays: _w, ...rest } = k;
        return { ...rest, state: 'Disabled' };
      },
      key,
    );
    if (cancelled === undefined) throw keyDoesNotExist(this.arn(key.keyId));
    return cancelled;
  }

  async enableKeyRotation(ref: string, periodDays: number, caller: KmsCaller): Promise<void> {
    const key = await this.rotatable(ref, caller, 'EnableKeyRotation');
    await this.keys.update(
      key.keyId,
      (k) => {
        this.keys.requireUsable(k);
        // A changed period counts from the last rotation (or creation), as on AWS.
        const from = k.rotation.enabled ? this.keys.current(k).createdAt : this.now;
        return { ...k, rotation: { enabled: true, periodDays, next: addDays(from, periodDays) } };
      },
      key,
    );
  }

  async disableKeyRotation(ref: string, caller: KmsCaller): Promise<void> {
    const key = await this.rotatable(ref, caller, 'DisableKeyRotation');
    await this.keys.update(
      key.keyId,
      (k) => {
        this.keys.requireUsable(k);
        return { ...k, rotation: { enabled: false, periodDays: k.rotation.periodDays } };
      },
      key,
    );
  }

  async rotateKeyOnDemand(ref: string, caller: KmsCaller): Promise<KmsKey> {
    const key = await this.rotatable(ref, caller, 'RotateKeyOnDemand');
    return this.keys.rotate(key, 'ON_DEMAND', (k) => {
      this.keys.requireUsable(k);
      if (k.onDemandRotations >= ON_DEMAND_ROTATION_LIMIT) {
        throw new KmsError(
          'LimitExceededException',
          `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${this.arn(k.keyId)}`,
        );
      }
    });
  }

  async createAlias(name: string, targetRef: string, caller: KmsCaller): Promise<void> {
    if (name.startsWith(AWS_ALIAS_PREFIX)) throw notAuthorized();
    const target = await this.aliasTarget(targetRef, caller, 'CreateAlias');
    if ((await this.o.meta.getKmsAlias(name)) !== undefined) throw aliasExists(aliasArnOf(this.o, name));
    try {
      await this.keys.linkAlias(name, target.keyId);
    } catch (err) {
      if ((err as { code?: string }).code === 'STRONGBOX_ALIAS_EXISTS') throw aliasExists(aliasArnOf(this.o, name));
      throw err;
    }
  }

  /** AWS checks kms:UpdateAlias on the key the alias names now and on the new target. */
  async updateAlias(name: string, targetRef: string, caller: KmsCaller): Promise<void> {
    if (name.startsWith(AWS_ALIAS_PREFIX)) throw notAuthorized();
    await this.authorizeAlias(name, caller, 'UpdateAlias');
    const target = await this.aliasTarget(targetRef, caller, 'UpdateAlias');
    await this.o.meta.updateKmsAlias(name, target.keyId);
  }

  async deleteAlias(name: string, caller: KmsCaller): Promise<void> {
    if (name.startsWith(AWS_ALIAS_PREFIX)) throw notAuthorized();
    await this.authorizeAlias(name, caller, 'DeleteAlias');
    await this.o.meta.deleteKmsAlias(name);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** AccessDeniedException unless `caller` may do `action` on `key` (key-access.ts decides). */
  authorize(key: KmsKey, caller: KmsCaller, action: string, door: KmsDoor = 'api'): void {
    checkAccess(this.o, key, caller, action, door);
  }

  /** Whether `caller` sees `key` in lists (its own keys, every key for root, AWS-managed keys). */
  visible(key: KmsKey, caller: KmsCaller): boolean {
    return mayDescribe(key, caller);
  }

  /**
   * An alias belongs to the owner of the key it names: `action` on the alias needs `action` on
   * that key. NotFoundException for an alias that does not exist.
   */
  private async authorizeAlias(name: string, caller: KmsCaller, action: string): Promise<void> {
    const alias = await this.keys.aliasOrThrow(name);
    const key = await this.keys.load(alias.keyId);
    // An alias whose key record is gone (never happens: deletion removes its aliases) is root's.
    if (key === undefined) {
      if (caller.user?.isRoot !== true) throw aliasNotFound(aliasArnOf(this.o, name));
      return;
    }
    this.authorize(key, caller, action);
  }

  /** A key whose state may change: not pending deletion (KMSInvalidStateException). */
  private async manageable(ref: string, caller: KmsCaller, action: string): Promise<KmsKey> {
    const key = await this.keys.resolve(ref);
    this.authorize(key, caller, action);
    return this.requireManageable(key);
  }

  /** KMSInvalidStateException for a key pending deletion (or, found by a compare-and-set retry, deleted). */
  private requireManageable(key: KmsKey): KmsKey {
    if (key.state === 'PendingDeletion') throw pendingDeletion(this.arn(key.keyId));
    if (key.state === 'Deleted') throw keyDoesNotExist(this.arn(key.keyId));
    return key;
  }

  /** Rotation settings change only on an enabled key (DisabledException, KMSInvalidStateException). */
  private async rotatable(ref: string, caller: KmsCaller, action: string): Promise<KmsKey> {
    const key = await this.keys.resolve(ref);
    this.authorize(key, caller, action);
    this.keys.requireUsable(key);
    return key;
  }

  private async aliasTarget(ref: string, caller: KmsCaller, action: string): Promise<KmsKey> {
    if (ref.startsWith(ALIAS_PREFIX) || parseKeyRef(this.o, ref).kind === 'alias') {
      throw new KmsError('ValidationException', 'Aliases must refer to keys. Not aliases');
    }
    const key = await this.keys.resolve(ref);
    this.authorize(key, caller, action);
    if (key.state === 'PendingDeletion') throw pendingDeletion(this.arn(key.keyId));
    return key;
  }
}

/** AWS answers changes to `alias/aws/*` with a bare NotAuthorizedException. */
const notAuthorized = (): KmsError => new KmsError('NotAuthorizedException', '');
const aliasExists = (aliasArn: string): KmsError => new KmsError('AlreadyExistsException', `An alias with the name ${aliasArn} already exists`);
