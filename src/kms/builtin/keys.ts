/**
 * The built-in KMS's keys and aliases on top of the metadata store: creating keys, resolving
 * references, and the two lazy transitions AWS runs in the background, done here whenever a
 * key is read (and at start): automatic rotation once its date has passed, and deletion once
 * the waiting period has ended. A key is never destroyed earlier.
 */
import { randomUUID } from 'node:crypto';
import type { MetaStore } from '../../store/meta/types.js';
import { MetaStoreError } from '../../store/meta/types.js';
import type { RootKeyring } from '../../crypto/root-key.js';
import { KmsError } from '../types.js';
import { ALIAS_PREFIX, type KmsScope, aliasArnOf, aliasNotFound, isKeyId, keyArnOf, keyDoesNotExist, parseKeyRef } from './arn.js';
import type { MaterialCache } from './cache.js';
import { type KeyManager, type KmsKey, type MaterialVersion, type RotationType, fromRecord, toRecord } from './key-record.js';
import { newMaterial, openMaterial, resealMaterial } from './material.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ROTATION_DAYS = 365;
/** The AWS-managed key S3 uses when no key is named (../shared/spec/aws-sse.md §5.1). */
export const AWS_S3_ALIAS = 'alias/aws/s3';
export const AWS_S3_DESCRIPTION = 'Default key that protects my S3 objects when no other key is defined';

export const addDays = (d: Date, days: number): Date => new Date(d.getTime() + days * DAY_MS);

export interface KeyStoreOptions extends KmsScope {
  readonly meta: MetaStore;
  readonly rootKey: RootKeyring;
  readonly now: () => Date;
  readonly cache: MaterialCache;
}

export class KeyStore {
  constructor(private readonly o: KeyStoreOptions) {}

  get scope(): KmsScope {
    return this.o;
  }

  arn(keyId: string): string {
    return keyArnOf(this.o, keyId);
  }

  /** A new enabled key with its first material version; `owner` undefined: the root user's. */
  create(description: string, manager: KeyManager, owner?: string): KmsKey {
    const keyId = randomUUID();
    const now = this.o.now();
    const first = newMaterial(this.o.rootKey, keyId, 1, now);
    first.key.fill(0);
    const key: KmsKey = {
      keyId,
      createdAt: now,
      description,
      manager,
      ...(owner === undefined ? {} : { owner }),
      state: 'Enabled',
      // AWS rotates AWS-managed keys every year; customer keys rotate only when asked.
      rotation:
        manager === 'AWS'
          ? { enabled: true, periodDays: DEFAULT_ROTATION_DAYS, next: addDays(now, DEFAULT_ROTATION_DAYS) }
          : { enabled: false, periodDays: DEFAULT_ROTATION_DAYS },
      onDemandRotations: 0,
      materials: [first.stored],
    };
    this.save(key);
    return key;
  }

  save(key: KmsKey): void {
    this.o.meta.putKmsKey(toRecord(key));
  }

  /** A key by id, after any due rotation or deletion; undefined if it never existed. */
  load(keyId: string): KmsKey | undefined {
    const rec = this.o.meta.getKmsKey(keyId);
    return rec === undefined ? undefined : this.settle(fromRecord(rec));
  }

  /**
   * The key a reference names. Deleted and unknown keys are NotFoundException, as AWS says it;
   * `alias/aws/s3` is created on first use.
   */
  resolve(ref: string): KmsKey {
    const parsed = parseKeyRef(this.o, ref);
    let keyId: string;
    if (parsed.kind === 'alias') {
      const alias = this.o.meta.getKmsAlias(parsed.name) ?? (parsed.name === AWS_S3_ALIAS ? this.createAwsS3Key() : undefined);
      if (alias === undefined) throw aliasNotFound(aliasArnOf(this.o, parsed.name));
      keyId = alias.keyId;
    } else {
      keyId = parsed.keyId;
    }
    const key = this.load(keyId);
    if (key === undefined || key.state === 'Deleted') throw keyDoesNotExist(this.arn(keyId));
    return key;
  }

  /**
   * A key named in S3's key-id header: as resolve(), and, as a Strongbox extension, a bare name
   * that is no valid reference (`testkey-1`) names the alias `alias/<name>` when it exists.
   * Ceph's s3-tests name their keys that way; on AWS such a name fails, and here too when no
   * alias of that name exists.
   */
  resolveFromS3(ref: string): KmsKey {
    const asAlias = ALIAS_PREFIX + ref;
    if (!ref.startsWith(ALIAS_PREFIX) && !ref.startsWith('arn:') && !isKeyId(ref) && this.o.meta.getKmsAlias(asAlias) !== undefined) return this.resolve(asAlias);
    return this.resolve(ref);
  }

  /** The AWS-managed `aws/s3` key (created on first use). */
  awsS3Key(): KmsKey {
    return this.resolve(AWS_S3_ALIAS);
  }

  private createAwsS3Key(): { keyId: string } {
    const key = this.create(AWS_S3_DESCRIPTION, 'AWS');
    try {
      this.o.meta.createKmsAlias({ name: AWS_S3_ALIAS, keyId: key.keyId, createdAt: key.createdAt });
      return key;
    } catch (err) {
      // Another process made it first: use theirs (ours stays an unused, unaliased key).
      if (err instanceof MetaStoreError && err.code === 'STRONGBOX_ALIAS_EXISTS') {
        const winner = this.o.meta.getKmsAlias(AWS_S3_ALIAS);
        if (winner !== undefined) return winner;
      }
      throw err;
    }
  }

  /** The plain material of one version (cached briefly); call only after checking the key's state. */
  material(key: KmsKey, version: number): Buffer | undefined {
    const m = key.materials.find((v) => v.version === version);
    if (m === undefined) return undefined;
    return this.o.cache.get(key.keyId, version, () => openMaterial(this.o.rootKey, key.keyId, m));
  }

  /** The version new encryptions use. */
  current(key: KmsKey): MaterialVersion {
    const m = key.materials.at(-1);
    if (m === undefined) throw keyDoesNotExist(this.arn(key.keyId));
    return m;
  }

  /** Adds a material version; older ones stay for decryption. */
  rotate(key: KmsKey, type: RotationType): KmsKey {
    const now = this.o.now();
    const version = this.current(key).version + 1;
    const next = newMaterial(this.o.rootKey, key.keyId, version, now, type);
    next.key.fill(0);
    const rotated: KmsKey = {
      ...key,
      materials: [...key.materials, next.stored],
      onDemandRotations: key.onDemandRotations + (type === 'ON_DEMAND' ? 1 : 0),
      rotation:
        type === 'AUTOMATIC' && key.rotation.enabled
          ? { ...key.rotation, next: addDays(now, key.rotation.periodDays) }
          : key.rotation,
    };
    this.save(rotated);
    return rotated;
  }

  /**
   * Seals every material version that is under an older root key version again under the
   * newest one (after a root key rotation); returns how many keys changed. Synchronous, so no
   * other change to a key can fall between its read and its write.
   */
  resealMaterials(): number {
    const current = this.o.rootKey.current.version;
    let changed = 0;
    for (const rec of this.o.meta.listKmsKeys()) {
      const key = fromRecord(rec);
      if (key.materials.every((m) => m.rootVersion === current)) continue;
      const materials = key.materials.map((m) => (m.rootVersion === current ? m : resealMaterial(this.o.rootKey, key.keyId, m)));
      this.save({ ...key, materials });
      changed++;
    }
    return changed;
  }

  /** Runs the due lazy transitions of every key (at start). */
  sweep(): void {
    for (const rec of this.o.meta.listKmsKeys()) this.settle(fromRecord(rec));
  }

  /** Keys in store order (creation), tombstones included (list pages stay stable). */
  list(): KmsKey[] {
    return this.o.meta.listKmsKeys().map(fromRecord);
  }

  private settle(key: KmsKey): KmsKey {
    const now = this.o.now();
    if (key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate.getTime() <= now.getTime()) {
      return this.erase(key, now);
    }
    // AWS does not rotate disabled keys; a key pending deletion waits too.
    if (key.state === 'Enabled' && key.rotation.enabled && key.rotation.next !== undefined && key.rotation.next.getTime() <= now.getTime()) {
      return this.rotate(key, 'AUTOMATIC');
    }
    return key;
  }

  /** The end of the waiting period: the material is erased and the aliases go; a tombstone stays. */
  private erase(key: KmsKey, now: Date): KmsKey {
    const deleted: KmsKey = {
      keyId: key.keyId,
      createdAt: key.createdAt,
      description: key.description,
      manager: key.manager,
      ...(key.owner === undefined ? {} : { owner: key.owner }),
      state: 'Deleted',
      deletedAt: now,
      rotation: { enabled: false, periodDays: key.rotation.periodDays },
      onDemandRotations: key.onDemandRotations,
      materials: [],
    };
    this.save(deleted);
    this.o.cache.invalidate(key.keyId);
    for (const a of this.o.meta.listKmsAliases()) if (a.keyId === key.keyId) this.o.meta.deleteKmsAlias(a.name);
    return deleted;
  }

  /** Aliases, optionally of one key. */
  aliases(keyId?: string): ReturnType<MetaStore['listKmsAliases']> {
    const all = this.o.meta.listKmsAliases();
    return keyId === undefined ? all : all.filter((a) => a.keyId === keyId);
  }

  /** Creates an alias (STRONGBOX_ALIAS_EXISTS if the name is taken). */
  linkAlias(name: string, keyId: string): void {
    this.o.meta.createKmsAlias({ name, keyId, createdAt: this.o.now() });
  }

  /** NotFoundException for an alias name that does not exist. */
  aliasOrThrow(name: string): { keyId: string } {
    const a = this.o.meta.getKmsAlias(name);
    if (a === undefined) throw aliasNotFound(aliasArnOf(this.o, name));
    return a;
  }

  /** KMSInvalidStateException when the key waits for deletion, DisabledException when disabled. */
  requireUsable(key: KmsKey): void {
    if (key.state === 'Disabled') throw new KmsError('DisabledException', `${this.arn(key.keyId)} is disabled.`);
    if (key.state === 'PendingDeletion') throw pendingDeletion(this.arn(key.keyId));
    if (key.state === 'Deleted') throw keyDoesNotExist(this.arn(key.keyId));
  }
}

export const pendingDeletion = (arn: string): KmsError => new KmsError('KMSInvalidStateException', `${arn} is pending deletion.`);
