/**
 * Unsealed key material, kept in memory for a short while so that a busy bucket does not run
 * HKDF + GCM on the root key for every object. It holds material only, never key state: every
 * use reads the key's record first, so a key disabled or scheduled for deletion (even by
 * another process) stops working at once. State changes made here also drop the key's entries.
 * Nothing here is ever written anywhere; evicted buffers are overwritten.
 */

/** How long unsealed material stays in memory after it was last unsealed. */
export const MATERIAL_TTL_MS = 5 * 60 * 1000;
const MAX_ENTRIES = 1024;

interface Entry {
  readonly key: Buffer;
  readonly expires: number;
}

export class MaterialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => Date,
    private readonly ttlMs = MATERIAL_TTL_MS,
  ) {}

  /** The cached material of a key version, or the one `unseal` gives (then cached). */
  get(keyId: string, version: number, unseal: () => Buffer): Buffer {
    const id = `${keyId}/${version}`;
    const t = this.now().getTime();
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.expires > t) return hit.key;
    if (hit !== undefined) this.drop(id, hit);
    const key = unseal();
    if (this.entries.size >= MAX_ENTRIES) this.evictOldest();
    this.entries.set(id, { key, expires: t + this.ttlMs });
    return key;
  }

  /** Forgets every version of a key (disabled, pending deletion, deleted). */
  invalidate(keyId: string): void {
    const prefix = `${keyId}/`;
    for (const [id, e] of this.entries) if (id.startsWith(prefix)) this.drop(id, e);
  }

  clear(): void {
    for (const [id, e] of this.entries) this.drop(id, e);
  }

  get size(): number {
    return this.entries.size;
  }

  private evictOldest(): void {
    const first = this.entries.entries().next();
    if (first.done !== true) this.drop(first.value[0], first.value[1]);
  }

  private drop(id: string, e: Entry): void {
    this.entries.delete(id);
    e.key.fill(0);
  }
}
