import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openFsBlobStore, type FsBlobStore, type FsBlobStoreOptions } from './blob/fs.js';
import { openSqliteMetaStore, type SqliteMetaStore, type SqliteMetaStoreOptions } from './meta/sqlite.js';
import { DEFAULT_RESERVE_BYTES } from './meta/space-reserve.js';
import type { FileBlob } from './meta/types.js';
import { Reclaimer, type ReclaimerOptions } from './reclaim.js';

/** Where the blob store lives inside the data directory (meta.db sits in the data dir itself). */
export const BLOB_SUBDIR = 'data';

export interface Stores {
  readonly meta: SqliteMetaStore;
  readonly blobs: FsBlobStore;
  /**
   * Drains the reclaim journal (src/store/reclaim.ts); not started here: `serve` starts it,
   * tools that open the stores briefly (`strongbox user …`) leave it alone.
   */
  readonly reclaimer: Reclaimer;
}

export interface OpenStoresOptions {
  readonly meta?: SqliteMetaStoreOptions;
  readonly blobs?: FsBlobStoreOptions;
  /** The free-space floor of every store's volume; undefined: FreeSpace's default. */
  readonly minFreeSpace?: number | undefined;
  /** Options of the Reclaimer (the interval, the age of abandoned temporary files …). */
  readonly reclaim?: ReclaimerOptions;
}

/** Blobs per commit of the one-time sweep after an upgrade. */
const SWEEP_BATCH = 1000;

/**
 * Open the embedded stores under `dataDir` (created with mode 0700): `meta.db`, its space
 * reserve (`space-reserve.*`, see src/store/meta/space-reserve.ts) and `data/{blobs,tmp}`.
 * Each blob writer journals its blob in the metadata store before the blob becomes visible,
 * so nothing is scrubbed at start: crashed writes' leftovers are in the journal. Only a
 * database first written by a version without the journal gets one sweep, which journals the
 * blobs nothing references (due after the grace period, like every entry).
 */
export async function openStores(dataDir: string, opts: OpenStoresOptions = {}): Promise<Stores> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const floor = { minFree: opts.minFreeSpace };
  const meta = openSqliteMetaStore(dataDir, { freeSpace: floor, reserveBytes: DEFAULT_RESERVE_BYTES, ...opts.meta });
  try {
    const blobs = openFsBlobStore(join(dataDir, BLOB_SUBDIR), {
      freeSpace: floor,
      registerIntent: (blob) => meta.registerBlobIntents([blob]),
      ...opts.blobs,
    });
    if (await meta.orphanSweepPending()) await sweepOrphans(meta, blobs);
    const reclaimer = new Reclaimer(meta, blobs, opts.reclaim ?? {});
    return { meta, blobs, reclaimer };
  } catch (err) {
    await meta.close();
    throw err;
  }
}

/** Journals every blob file nothing references (once, after an upgrade). */
async function sweepOrphans(meta: SqliteMetaStore, blobs: FsBlobStore): Promise<void> {
  let batch: FileBlob[] = [];
  for await (const blob of blobs.listFileBlobs()) {
    batch.push(blob);
    if (batch.length < SWEEP_BATCH) continue;
    await meta.journalOrphans(batch, false);
    batch = [];
  }
  await meta.journalOrphans(batch, true);
}

/**
 * Close both stores, waiting for queued metadata writes and directory syncs. A started
 * Reclaimer is stopped after one last pass.
 */
export async function closeStores(stores: Pick<Stores, 'meta' | 'blobs'> & Partial<Pick<Stores, 'reclaimer'>>): Promise<void> {
  await stores.reclaimer?.stop(true);
  await stores.blobs.close();
  await stores.meta.close();
}
