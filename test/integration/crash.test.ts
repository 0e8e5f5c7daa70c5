/**
 * The crash harness (crash-harness.ts) on the embedded stores: SQLite metadata and blob files.
 * `npm test` runs a short round (STRONGBOX_CRASH_KILLS, default 22: two kills at each named
 * point, eight timing kills during bodies); `npm run torture` runs hundreds.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe } from 'node:test';
import { listFiles } from './harness.js';
import { crashSuite, type CrashStore, type StoreInventory } from './crash-harness.js';
import { drainJournal } from './reclaim-drain.js';

/** Blob files are named by their id under <data>/data/blobs/xx/yy/; temporary ones sit in <data>/data/tmp. */
const embedded: CrashStore = {
  name: 'sqlite + files',
  serveArgs: [],
  async drain(dataDir: string): Promise<void> {
    await drainJournal(dataDir, { unfinishedAfterMs: 0 });
  },
  async inventory(dataDir: string): Promise<StoreInventory> {
    const files = await listFiles(join(dataDir, 'data', 'blobs'));
    const tmp = join(dataDir, 'data', 'tmp');
    const db = new Database(join(dataDir, 'meta.db'), { readonly: true, fileMustExist: true });
    try {
      const named = new Set(
        db.prepare('SELECT blob_id FROM object_segments WHERE blob_id IS NOT NULL UNION ALL SELECT blob_id FROM parts WHERE blob_id IS NOT NULL').pluck().all() as string[],
      );
      const strayParts = db.prepare('SELECT count(*) FROM parts WHERE upload_id NOT IN (SELECT upload_id FROM uploads)').pluck().get() as number;
      return {
        unreferencedBlobs: files.filter((f) => !named.has(f.slice(f.lastIndexOf('/') + 1))),
        temporary: existsSync(tmp) ? readdirSync(tmp) : [],
        strayParts,
      };
    } finally {
      db.close();
    }
  },
};

const kills = Number(process.env['STRONGBOX_CRASH_KILLS'] ?? 22);
const seed = Number(process.env['STRONGBOX_CRASH_SEED'] ?? 14);

describe('crash injection', () => {
  crashSuite(embedded, {
    kills,
    seed,
    report: (r) => {
      if (process.env['STRONGBOX_CRASH_REPORT'] !== undefined) process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    trace: (line) => {
      if (process.env['STRONGBOX_CRASH_REPORT'] !== undefined) process.stdout.write(`${line}\n`);
    },
  });
});
