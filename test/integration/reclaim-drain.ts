/**
 * Drains a server's reclaim journal from the test process, as a second process on the same
 * data would (src/store/reclaim.ts): the lease makes it wait for the server's own pass. Only
 * entries already due are drained, so start the server with a short `--reclaim-grace`.
 */
import { openStores, closeStores } from '../../src/store/open-stores.js';
import type { ReclaimPass } from '../../src/store/reclaim.js';

/** Server flag for tests that count blob files: freed blobs are due at once. */
export const SHORT_GRACE_ARGS = ['--reclaim-grace', '0.001'] as const;

/**
 * One drain pass over `dataDir`. `unfinishedAfterMs`: temporary files older than this are
 * leftovers (0 when the server is idle or dead; default: none are swept).
 */
export async function drainJournal(dataDir: string, opts: { unfinishedAfterMs?: number } = {}): Promise<ReclaimPass> {
  const stores = await openStores(dataDir, {
    meta: { writer: 'inline' },
    ...(opts.unfinishedAfterMs === undefined ? {} : { reclaim: { unfinishedAfterMs: opts.unfinishedAfterMs } }),
  });
  try {
    for (let i = 0; i < 200; i++) {
      const pass = await stores.reclaimer.runOnce();
      if (pass.leased) return pass;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the reclaim lease of ${dataDir} was never free`);
  } finally {
    await closeStores(stores);
  }
}
