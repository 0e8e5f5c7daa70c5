/**
 * A built-in KMS key as the metadata store keeps it (`KmsKeyRecord.meta`, JSON). Key material
 * appears only sealed under the root key (material.ts).
 *
 * Frozen format: `format` 1 (docs/adr/0004-built-in-kms.md). Changing the field names or
 * their meaning breaks stored keys; a new layout gets a new format number and a reader.
 *
 * `owner` was added to format 1 as an optional field rather than as format 2: every record
 * written before it (no owner) reads as the root user's key, which is what an upgrade must
 * give, and a format 1 reader that predates the field still opens newer records (ignoring the
 * owner) instead of refusing every key after a downgrade. A format 2 would have bought nothing
 * but that refusal.
 */
import type { KmsKeyRecord } from '../../store/meta/types.js';
import { DataCorruptionError } from '../../crypto/package-cipher.js';

export const KEY_RECORD_FORMAT = 1;

/** `Deleted` is ours: AWS forgets a deleted key; we keep a tombstone without material. */
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'Deleted';
export type KeyManager = 'CUSTOMER' | 'AWS';
export type RotationType = 'AUTOMATIC' | 'ON_DEMAND';

export interface MaterialVersion {
  /** 1 for the key's first material, +1 per rotation; ciphertexts name it. */
  readonly version: number;
  /** KeyMaterialId: 64 random hex digits, public (it reveals nothing of the material). */
  readonly id: string;
  readonly createdAt: Date;
  /** Absent for the first material. */
  readonly rotationType?: RotationType;
  /** The root key version the material is sealed under. */
  readonly rootVersion: number;
  /** base64: HKDF salt of the sealing key, and the sealed material. */
  readonly salt: string;
  readonly sealed: string;
}

export interface Rotation {
  readonly enabled: boolean;
  readonly periodDays: number;
  /** When automatic rotation is next due (enabled only). */
  readonly next?: Date;
}

export interface KmsKey {
  readonly keyId: string;
  readonly createdAt: Date;
  /** The stored record's revision when read (the compare-and-set token of KeyStore.update); 0 for a new key. */
  readonly revision: number;
  readonly description: string;
  readonly manager: KeyManager;
  /**
   * The Strongbox user who created the key (CreateKey's signer), as buckets record theirs.
   * Absent: the root user's (keys from before owners were recorded, `serve --kms-alias` keys,
   * and the AWS-managed aws/s3 key, which no customer owns). Never changes.
   */
  readonly owner?: string;
  readonly state: KeyState;
  /** PendingDeletion only: the end of the waiting period, and its length. */
  readonly deletionDate?: Date;
  readonly pendingWindowInDays?: number;
  /** Deleted only: when the material was erased. */
  readonly deletedAt?: Date;
  readonly rotation: Rotation;
  /** How many on-demand rotations the key has had (AWS limits them). */
  readonly onDemandRotations: number;
  /** Ascending by version; the last one encrypts. Empty once Deleted. */
  readonly materials: readonly MaterialVersion[];
}

interface StoredMaterial {
  version: number;
  id: string;
  created: string;
  rotationType?: RotationType;
  rootVersion: number;
  salt: string;
  sealed: string;
}

interface StoredKey {
  format: number;
  description: string;
  manager: KeyManager;
  /** Optional within format 1: absent means the root user. */
  owner?: string;
  state: KeyState;
  deletionDate?: string;
  pendingWindowInDays?: number;
  deletedAt?: string;
  rotation: { enabled: boolean; periodDays: number; next?: string };
  onDemandRotations: number;
  materials: StoredMaterial[];
}

export function toRecord(key: KmsKey): KmsKeyRecord {
  const meta: StoredKey = {
    format: KEY_RECORD_FORMAT,
    description: key.description,
    manager: key.manager,
    ...(key.owner === undefined ? {} : { owner: key.owner }),
    state: key.state,
    ...(key.deletionDate === undefined ? {} : { deletionDate: key.deletionDate.toISOString() }),
    ...(key.pendingWindowInDays === undefined ? {} : { pendingWindowInDays: key.pendingWindowInDays }),
    ...(key.deletedAt === undefined ? {} : { deletedAt: key.deletedAt.toISOString() }),
    rotation: {
      enabled: key.rotation.enabled,
      periodDays: key.rotation.periodDays,
      ...(key.rotation.next === undefined ? {} : { next: key.rotation.next.toISOString() }),
    },
    onDemandRotations: key.onDemandRotations,
    materials: key.materials.map((m) => ({
      version: m.version,
      id: m.id,
      created: m.createdAt.toISOString(),
      ...(m.rotationType === undefined ? {} : { rotationType: m.rotationType }),
      rootVersion: m.rootVersion,
      salt: m.salt,
      sealed: m.sealed,
    })),
  };
  return { keyId: key.keyId, createdAt: key.createdAt, meta: meta as unknown as Record<string, unknown>, revision: key.revision };
}

/** A stored owner is a user name; anything else is damage, never silently the root user's. */
function storedOwner(keyId: string, owner: unknown): string {
  if (typeof owner !== 'string' || owner === '') throw new DataCorruptionError(`KMS key ${keyId} has an invalid owner`);
  return owner;
}

const date = (s: string | undefined): Date | undefined => (s === undefined ? undefined : new Date(s));

export function fromRecord(rec: KmsKeyRecord): KmsKey {
  const m = rec.meta as unknown as StoredKey;
  if (m.format !== KEY_RECORD_FORMAT) throw new DataCorruptionError(`KMS key ${rec.keyId} has an unknown record format ${String(m.format)}`);
  const deletionDate = date(m.deletionDate);
  const deletedAt = date(m.deletedAt);
  const next = date(m.rotation.next);
  return {
    revision: rec.revision,
    keyId: rec.keyId,
    createdAt: rec.createdAt,
    description: m.description,
    manager: m.manager,
    ...(m.owner === undefined ? {} : { owner: storedOwner(rec.keyId, m.owner) }),
    state: m.state,
    ...(deletionDate === undefined ? {} : { deletionDate }),
    ...(m.pendingWindowInDays === undefined ? {} : { pendingWindowInDays: m.pendingWindowInDays }),
    ...(deletedAt === undefined ? {} : { deletedAt }),
    rotation: { enabled: m.rotation.enabled, periodDays: m.rotation.periodDays, ...(next === undefined ? {} : { next }) },
    onDemandRotations: m.onDemandRotations,
    materials: m.materials.map((s) => ({
      version: s.version,
      id: s.id,
      createdAt: new Date(s.created),
      ...(s.rotationType === undefined ? {} : { rotationType: s.rotationType }),
      rootVersion: s.rootVersion,
      salt: s.salt,
      sealed: s.sealed,
    })),
  };
}
