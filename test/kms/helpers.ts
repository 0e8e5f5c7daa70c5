import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { RootKeyVersion, RootKeyring } from '../../src/crypto/root-key.js';
import { openSqliteMetaStore, type SqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { ServedKms } from '../../src/kms/index.js';
import type { KmsCaller } from '../../src/kms/types.js';

export const T0 = new Date('2025-03-01T12:00:00.000Z');
export const DAY = 24 * 60 * 60 * 1000;
export const REGION = 'eu-central-1';
export const ACCOUNT = '111122223333';
export const ROOT: KmsCaller = { user: { name: 'root', isRoot: true } };
/** A non-root Strongbox user. */
export const userCaller = (name: string): KmsCaller => ({ user: { name, isRoot: false } });
/** An anonymous S3 request a bucket policy let in. */
export const ANONYMOUS: KmsCaller = { user: undefined };

/** A keyring of fixed versions (deterministic keys: version n is n repeated). */
export function keyring(versions: readonly number[]): RootKeyring {
  const all: RootKeyVersion[] = versions.map((v) => ({ version: v, key: Buffer.alloc(32, v), createdAt: T0, id: `id${v}` }));
  const current = all.at(-1)!;
  return { versions: all, current, get: (v) => all.find((k) => k.version === v) };
}

/** A settable clock. */
export class Clock {
  t = T0.getTime();
  readonly now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Fixture {
  readonly dir: string;
  readonly meta: SqliteMetaStore;
  readonly clock: Clock;
  kms: ServedKms;
  /** A second KMS instance over the same store (a restart). */
  reopen(ring?: RootKeyring): ServedKms;
}

/** A built-in KMS over a real SQLite metadata store in a temp dir, removed after the test. */
export function fixture(t: TestContext, ring: RootKeyring = keyring([1])): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'sb-kms-'));
  const meta = openSqliteMetaStore(dir, { writer: 'inline' });
  const clock = new Clock();
  const make = (r: RootKeyring) => new ServedKms({ meta, rootKey: r, region: REGION, accountId: ACCOUNT, now: clock.now });
  const f: Fixture = {
    dir,
    meta,
    clock,
    kms: make(ring),
    reopen(r = ring) {
      f.kms = make(r);
      return f.kms;
    },
  };
  t.after(async () => {
    await meta.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return f;
}
