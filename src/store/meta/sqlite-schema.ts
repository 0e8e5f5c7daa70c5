import { closeSync, chmodSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MetaStoreError } from './types.js';

/** The database file inside the metadata directory. */
export const META_DB_FILE = 'meta.db';

/** How long a connection waits for another one's write lock (the CLI, the writer thread). */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Schema migrations, applied in order. Entry i moves the schema from version i to i + 1.
 * Changing an existing entry breaks stored databases: only ever append.
 *
 * Keys are BLOBs holding UTF-8 bytes so that SQLite compares them with memcmp, which is the
 * order S3 lists keys in. Record fields that are never queried live in a JSON `meta` column;
 * inline blob bytes live in their own BLOB column (never base64 in JSON).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    name              TEXT PRIMARY KEY,
    access_key_id     TEXT NOT NULL UNIQUE,
    secret_access_key TEXT NOT NULL,
    is_root           INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
  );
  CREATE TABLE buckets (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    region     TEXT NOT NULL
  );
  CREATE TABLE objects (
    id                 INTEGER PRIMARY KEY,
    bucket             TEXT NOT NULL REFERENCES buckets(name),
    key                BLOB NOT NULL,
    size               INTEGER NOT NULL,
    etag               TEXT NOT NULL,
    last_modified      INTEGER NOT NULL,
    storage_class      TEXT NOT NULL,
    owner              TEXT NOT NULL,
    checksum_algorithm TEXT,
    checksum_type      TEXT,
    meta               TEXT NOT NULL
  );
  CREATE UNIQUE INDEX objects_by_key ON objects(bucket, key);
  CREATE TABLE object_segments (
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    blob_id   TEXT,
    blob_size INTEGER,
    data      BLOB,
    meta      TEXT NOT NULL,
    PRIMARY KEY (object_id, seq)
  );
  CREATE INDEX object_segments_blob ON object_segments(blob_id) WHERE blob_id IS NOT NULL;
  CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY,
    bucket    TEXT NOT NULL REFERENCES buckets(name),
    key       BLOB NOT NULL,
    initiated INTEGER NOT NULL,
    owner     TEXT NOT NULL,
    meta      TEXT NOT NULL
  );
  CREATE INDEX uploads_by_key ON uploads(bucket, key, initiated, upload_id);
  CREATE TABLE parts (
    upload_id     TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
    part_number   INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    blob_id       TEXT,
    blob_size     INTEGER,
    data          BLOB,
    meta          TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
  );
  CREATE INDEX parts_blob ON parts(blob_id) WHERE blob_id IS NOT NULL;
  `,
  // 2: bucket settings (default encryption, policy) and the built-in KMS's keys and aliases.
  `
  ALTER TABLE buckets ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
  CREATE TABLE kms_keys (
    key_id     TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    meta       TEXT NOT NULL
  );
  CREATE TABLE kms_aliases (
    name       TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL REFERENCES kms_keys(key_id),
    created_at INTEGER NOT NULL
  );
  `,
  // 3: the reclaim journal (blobs freed by a commit, or written and not yet referenced: intents),
  // the lease that lets one process at a time drain it, and a one-time sweep of the blobs an
  // older version left unreferenced (it scrubbed at start instead). A database that has served
  // (it has a user) gets the sweep; a new one has nothing to sweep.
  `
  CREATE TABLE reclaim (
    id      INTEGER PRIMARY KEY,
    blob_id TEXT NOT NULL,
    blob    TEXT NOT NULL,
    due_at  INTEGER NOT NULL,
    reason  TEXT NOT NULL
  );
  CREATE INDEX reclaim_due ON reclaim(due_at, id);
  CREATE INDEX reclaim_blob ON reclaim(blob_id);
  CREATE TABLE reclaim_lease (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE reclaim_sweep (name TEXT PRIMARY KEY);
  INSERT INTO reclaim_sweep (name) SELECT 'unreferenced' WHERE EXISTS (SELECT 1 FROM users);
  `,
  // 4: a revision per KMS key, the compare-and-set token of its read-modify-writes.
  `
  ALTER TABLE kms_keys ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: the ids (public fingerprints, no secret) of every root key version the data was written
  // under, which used to live in a file beside the database (crypto/root-key.ts).
  `
  CREATE TABLE root_key_ids (
    id          TEXT PRIMARY KEY,
    recorded_at INTEGER NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Open a connection with the pragmas every Strongbox connection needs. `create` makes the
 * file (mode 0600: it holds secret keys) and applies pending migrations.
 */
export function openDatabase(path: string, create: boolean): Database.Database {
  if (create) ensurePrivateFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (err) {
    throw new MetaStoreError('STRONGBOX_META_IO', `cannot open metadata database ${path}`, {
      cause: err,
    });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // FULL: in WAL mode every commit fsyncs the WAL, so an acknowledged write survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Statement journals (one per savepoint) and sorts in memory, never in temporary files:
    // a delete on a full volume must need no file but the WAL (space-reserve.ts).
    db.pragma('temp_store = MEMORY');
    if (create) migrate(db);
    else checkVersion(db);
  } catch (err) {
    db.close();
    if (err instanceof MetaStoreError) throw err;
    throw new MetaStoreError('STRONGBOX_META_IO', `cannot prepare metadata database ${path}`, {
      cause: err,
    });
  }
  return db;
}

function ensurePrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    chmodSync(path, 0o600);
  }
}

function readVersion(db: Database.Database): number {
  const table = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`)
    .get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as
    | { version: number }
    | undefined;
  return row?.version ?? 0;
}

function checkVersion(db: Database.Database): void {
  const version = readVersion(db);
  if (version !== SCHEMA_VERSION) {
    throw new MetaStoreError(
      'STRONGBOX_META_IO',
      `metadata schema is version ${version}, this build expects ${SCHEMA_VERSION}`,
    );
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE: two processes opening a fresh database must not both migrate it.
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const version = readVersion(db);
    if (version > SCHEMA_VERSION) {
      throw new MetaStoreError(
        'STRONGBOX_META_IO',
        `metadata schema version ${version} is newer than this build (${SCHEMA_VERSION})`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.exec('DELETE FROM schema_version');
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
