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

/** How many times a read-modify-write of a key is tried again after another writer changed it first. */
const MAX_UPDATE_RETRIES = 5;

export class KeyStore {
  constructor(private readonly o: KeyStoreOptions) {}

  get scope(): KmsScope {
    return this.o;
  }

  arn(keyId: string): string {
    return keyArnOf(this.o, keyId);
  }

  /** A new enabled key with its first material version; `owner` undefined: the root user's. */
  async create(description: string, manager: KeyManager, owner?: string): Promise<KmsKey> {
    const keyId = randomUUID();
    const now = this.o.now();
    const first = newMaterial(this.o.rootKey, keyId, 1, now);
    first.key.fill(0);
    const key: KmsKey = {
      keyId,
      createdAt: now,
      revision: 0,
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
    await this.o.meta.putKmsKey(toRecord(key));
    return key;
  }

  /**
   * A read-modify-write of one key as a compare-and-set on its revision: `change` gets the key
   * (`first`, else read now) and returns the changed key, or undefined when there is nothing to
   * do; it may throw (a state that forbids the change). If another writer (another process)
   * changed the key meanwhile, the key is read again and `change` applied to that, so no
   * change (a material version above all: objects sealed under it) is ever lost. Resolves with
   * the key as stored, or undefined if it does not exist.
   */
  async update(keyId: string, change: (key: KmsKey) => KmsKey | undefined, first?: KmsKey): Promise<KmsKey | undefined> {
    let key = first ?? (await this.read(keyId));
    for (let attempt = 0; ; attempt++) {
      if (key === undefined) return undefined;
      const next = change(key);
      if (next === undefined) return key;
      try {
        const revision = await this.o.meta.putKmsKey(toRecord(next), key.revision);
        return { ...next, revision };
      } catch (err) {
        if (!(err instanceof MetaStoreError && err.code === 'STRONGBOX_KMS_KEY_CHANGED') || attempt >= MAX_UPDATE_RETRIES) throw err;
        key = await this.read(keyId);
      }
    }
  }

  private async read(keyId: string): Promise<KmsKey | undefined> {
    const rec = await this.o.meta.getKmsKey(keyId);
    return rec === undefined ? undefined : fromRecord(rec);
  }

  /** A key by id, after any due rotation or deletion; undefined if it never existed. */
  async load(keyId: string): Promise<KmsKey | undefined> {
    const key = await this.read(keyId);
    return key === undefined ? undefined : this.settle(key);
  }

  /**
   * The key a reference names. Deleted and unknown keys are NotFoundException, as AWS says it;
   * `alias/aws/s3` is created on first use.
   */
  async resolve(ref: string): Promise<KmsKey> {
    const parsed = parseKeyRef(this.o, ref);
    let keyId: string;
    if (parsed.kind === 'alias') {
      const alias = (await this.o.meta.getKmsAlias(parsed.name)) ?? (parsed.name === AWS_S3_ALIAS ? await this.createAwsS3Key() : undefined);
      if (alias === undefined) throw aliasNotFound(aliasArnOf(this.o, parsed.name));
      keyId = alias.keyId;
    } else {
      keyId = parsed.keyId;
    }
    const key = await this.load(keyId);
    if (key === undefined || key.state === 'Deleted') throw keyDoesNotExist(this.arn(keyId));
    return key;
  }

  /**
   * A key named in S3's key-id header: as resolve(), and, as a Strongbox extension, a bare name
   * that is no valid reference (`testkey-1`) names the alias `alias/<name>` when it exists.
   * Ceph's s3-tests name their keys that way; on AWS such a name fails, and here too when no
   * alias of that name exists.
   */
  async resolveFromS3(ref: string): Promise<KmsKey> {
    const asAlias = ALIAS_PREFIX + ref;
    if (!ref.startsWith(ALIAS_PREFIX) && !ref.startsWith('arn:') && !isKeyId(ref) && (await this.o.meta.getKmsAlias(asAlias)) !== undefined) return this.resolve(asAlias);
    return this.resolve(ref);
  }

  /** The AWS-managed `aws/s3` key (created on first use). */
  awsS3Key(): Promise<KmsKey> {
    return this.resolve(AWS_S3_ALIAS);
  }

  private async createAwsS3Key(): Promise<{ keyId: string }> {
    const key = await this.create(AWS_S3_DESCRIPTION, 'AWS');
    try {
      await this.o.meta.createKmsAlias({ name: AWS_S3_ALIAS, keyId: key.keyId, createdAt: key.createdAt });
      return key;
    } catch (err) {
      // Another process made it first: use theirs (ours stays an unused, unaliased key).
      if (err instanceof MetaStoreError && err.code === 'STRONGBOX_ALIAS_EXISTS') {
        const winner = await this.o.meta.getKmsAlias(AWS_S3_ALIAS);
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

  /**
   * Adds a material version; older ones stay for decryption. `check` runs on the key as it is
   * when the rotation commits (it may throw: a limit reached meanwhile).
   */
  async rotate(key: KmsKey, type: RotationType, check?: (key: KmsKey) => void): Promise<KmsKey> {
    const rotated = await this.update(
      key.keyId,
      (k) => {
        check?.(k);
        return this.rotated(k, type);
      },
      key,
    );
    if (rotated === undefined) throw keyDoesNotExist(this.arn(key.keyId));
    return rotated;
  }

  private rotated(key: KmsKey, type: RotationType): KmsKey {
    const now = this.o.now();
    const version = this.current(key).version + 1;
    const next = newMaterial(this.o.rootKey, key.keyId, version, now, type);
    next.key.fill(0);
    return {
      ...key,
      materials: [...key.materials, next.stored],
      onDemandRotations: key.onDemandRotations + (type === 'ON_DEMAND' ? 1 : 0),
      rotation:
        type === 'AUTOMATIC' && key.rotation.enabled
          ? { ...key.rotation, next: addDays(now, key.rotation.periodDays) }
          : key.rotation,
    };
  }

  /**
   * Seals every material version that is under an older root key version again under the
   * newest one (after a root key rotation); returns how many keys changed. Each key is a
   * compare-and-set (update), so no other change to a key can fall between its read and its write.
   */
  async resealMaterials(): Promise<number> {
    const current = this.o.rootKey.current.version;
    let changed = 0;
    for (const rec of await this.o.meta.listKmsKeys()) {
      let resealed = false;
      await this.update(rec.keyId, (key) => {
        resealed = false;
        if (key.materials.every((m) => m.rootVersion === current)) return undefined;
        resealed = true;
        return { ...key, materials: key.materials.map((m) => (m.rootVersion === current ? m : resealMaterial(this.o.rootKey, key.keyId, m))) };
      }, fromRecord(rec));
      if (resealed) changed++;
    }
    return changed;
  }

  /** Runs the due lazy transitions of every key (at start). */
  async sweep(): Promise<void> {
    for (const rec of await this.o.meta.listKmsKeys()) await this.settle(fromRecord(rec));
  }

  /** Keys in store order (creation), tombstones included (list pages stay stable). */
  async list(): Promise<KmsKey[]> {
    return (await this.o.meta.listKmsKeys()).map(fromRecord);
  }

  /** Runs a due rotation or deletion (as a compare-and-set: two processes never both rotate). */
  private async settle(key: KmsKey): Promise<KmsKey> {
    const settled = (await this.update(key.keyId, (k) => this.transition(k), key)) ?? key;
    if (settled.state === 'Deleted' && key.state !== 'Deleted') {
      // The end of the waiting period: the material is erased and the aliases go.
      this.o.cache.invalidate(key.keyId);
      for (const a of await this.o.meta.listKmsAliases()) if (a.keyId === key.keyId) await this.o.meta.deleteKmsAlias(a.name);
    }
    return settled;
  }

  private transition(key: KmsKey): KmsKey | undefined {
    const now = this.o.now();
    if (key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate.getTime() <= now.getTime()) {
      return this.erased(key, now);
    }
    // AWS does not rotate disabled keys; a key pending deletion waits too.
    if (key.state === 'Enabled' && key.rotation.enabled && key.rotation.next !== undefined && key.rotation.next.getTime() <= now.getTime()) {
      return this.rotated(key, 'AUTOMATIC');
    }
    return undefined;
  }

  /** A tombstone of the key: no material. */
  private erased(key: KmsKey, now: Date): KmsKey {
    return {
      keyId: key.keyId,
      createdAt: key.createdAt,
      revision: key.revision,
      description: key.description,
      manager: key.manager,
      ...(key.owner === undefined ? {} : { owner: key.owner }),
      state: 'Deleted',
      deletedAt: now,
      rotation: { enabled: false, periodDays: key.rotation.periodDays },
      onDemandRotations: key.onDemandRotations,
      materials: [],
    };
  }

  /** Aliases, optionally of one key. */
  async aliases(keyId?: string): ReturnType<MetaStore['listKmsAliases']> {
    const all = await this.o.meta.listKmsAliases();
    return keyId === undefined ? all : all.filter((a) => a.keyId === keyId);
  }

  /** Creates an alias (STRONGBOX_ALIAS_EXISTS if the name is taken). */
  linkAlias(name: string, keyId: string): Promise<void> {
    return this.o.meta.createKmsAlias({ name, keyId, createdAt: this.o.now() });
  }

  /** NotFoundException for an alias name that does not exist. */
  async aliasOrThrow(name: string): Promise<{ keyId: string }> {
    const a = await this.o.meta.getKmsAlias(name);
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
