/**
 * Drains a server's reclaim journal from the test process, as a second process on the same
 * data would (src/store/reclaim.ts): the lease makes it wait for the server's own pass. Only
 * entries already due are drained, so start the server with a short `--reclaim-grace`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStores, closeStores } from '../../src/store/open-stores.js';
import type { ReclaimPass } from '../../src/store/reclaim.js';

/** Server flag for tests that count blob files: freed blobs are due at once. */
export const SHORT_GRACE_ARGS = ['--reclaim-grace', '0.001'] as const;

/**
 * One drain pass over `dataDir`. `unfinishedAfterMs`: temporary files older than this are
 * leftovers (0 when the server is idle or dead; default: none are swept).
 */
export async function drainJournal(dataDir: string, opts: { unfinishedAfterMs?: number } = {}): Promise<ReclaimPass> {
  freeLeaseOfDeadHolder(dataDir);
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

/**
 * A server killed during a pass keeps the lease until it expires (a minute); the crash tests
 * know better: a holder on this host whose process is gone (holder = host:pid:random) is dead.
 */
function freeLeaseOfDeadHolder(dataDir: string): void {
  const db = new Database(join(dataDir, 'meta.db'), { fileMustExist: true });
  try {
    const row = db.prepare(`SELECT holder FROM reclaim_lease WHERE name = 'reclaim'`).get() as { holder: string } | undefined;
    const [host, pid] = row?.holder.split(':') ?? [];
    if (row === undefined || host !== hostname() || pid === undefined || isAlive(Number(pid))) return;
    db.prepare('DELETE FROM reclaim_lease WHERE name = ? AND holder = ?').run('reclaim', row.holder);
  } finally {
    db.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
