import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openFsBlobStore, type FsBlobStore, type FsBlobStoreOptions } from './blob/fs.js';
import { openSqliteMetaStore, type SqliteMetaStore, type SqliteMetaStoreOptions } from './meta/sqlite.js';
import { DEFAULT_RESERVE_BYTES } from './meta/space-reserve.js';

/** Where the blob store lives inside the data directory (meta.db sits in the data dir itself). */
export const BLOB_SUBDIR = 'data';

export interface Stores {
  readonly meta: SqliteMetaStore;
  readonly blobs: FsBlobStore;
  /** Files the start-up scrub removed (interrupted writes, unreferenced blobs). */
  readonly scrubbed: number;
}

export interface OpenStoresOptions {
  readonly meta?: SqliteMetaStoreOptions;
  readonly blobs?: FsBlobStoreOptions;
  /**
   * Run the start-up scrub (default true). Tools that open the stores while a server may be
   * running (`strongbox user …`) must pass false: the scrub would delete the server's
   * in-flight writes.
   */
  readonly scrub?: boolean;
  /** The free-space floor of every store's volume; undefined: FreeSpace's default. */
  readonly minFreeSpace?: number | undefined;
}

/**
 * Open the embedded stores under `dataDir` (created with mode 0700): `meta.db`, its space
 * reserve (`space-reserve.*`, see src/store/meta/space-reserve.ts) and `data/{blobs,tmp}`.
 * Before returning, removes temporary files and blobs that no metadata references, which is
 * only safe because nothing writes yet.
 */
export async function openStores(dataDir: string, opts: OpenStoresOptions = {}): Promise<Stores> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const floor = { minFree: opts.minFreeSpace };
  const meta = openSqliteMetaStore(dataDir, { freeSpace: floor, reserveBytes: DEFAULT_RESERVE_BYTES, ...opts.meta });
  try {
    const blobs = openFsBlobStore(join(dataDir, BLOB_SUBDIR), { freeSpace: floor, ...opts.blobs });
    let scrubbed = 0;
    if (opts.scrub ?? true) {
      const referenced = await meta.referencedBlobIds();
      scrubbed = await blobs.scrub((id) => referenced.has(id));
    }
    return { meta, blobs, scrubbed };
  } catch (err) {
    await meta.close();
    throw err;
  }
}

/** Close both stores, waiting for queued metadata writes and directory syncs. */
export async function closeStores(stores: Pick<Stores, 'meta' | 'blobs'>): Promise<void> {
  await stores.blobs.close();
  await stores.meta.close();
}
