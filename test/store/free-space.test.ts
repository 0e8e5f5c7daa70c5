import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FREE_SPACE_CACHE_MS, FreeSpace, StorageFullError, isNoSpace, parseSize } from '../../src/store/free-space.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A volume whose free space the test sets, counting statfs calls, with a hand-driven clock. */
function volume(total: number, available: number) {
  const v = { total, available, calls: 0, clock: 0 };
  const opts = {
    statfs: () => {
      v.calls++;
      return { total: v.total, available: v.available };
    },
    now: () => v.clock,
  };
  return { v, opts };
}

const isFull = (err: unknown) => err instanceof StorageFullError && err.code === 'STRONGBOX_STORAGE_FULL';

test('the default floor is the larger of 256 MiB and 1 % of the volume; --min-free-space overrides it', () => {
  assert.equal(new FreeSpace('/x', volume(10 * GiB, GiB).opts).floor, 256 * MiB);
  assert.equal(new FreeSpace('/x', volume(100 * GiB, GiB).opts).floor, GiB);
  assert.equal(new FreeSpace('/x', { ...volume(100 * GiB, GiB).opts, minFree: 8 * MiB }).floor, 8 * MiB);
});

test('requireRoom refuses below the floor, and when a body would take the volume below it', () => {
  const { v, opts } = volume(10 * GiB, 300 * MiB);
  const space = new FreeSpace('/x', opts);
  space.requireRoom();
  space.requireRoom(44 * MiB);
  assert.throws(() => space.requireRoom(45 * MiB), isFull);
  v.available = 200 * MiB;
  // Cached: statfs is asked again only after the interval.
  space.requireRoom();
  assert.equal(v.calls, 1);
  v.clock += FREE_SPACE_CACHE_MS;
  assert.throws(() => space.requireRoom(), isFull);
  assert.equal(v.calls, 2);
});

test('bytes the store writes count at once, before the next statfs', () => {
  const { opts } = volume(10 * GiB, 300 * MiB);
  const space = new FreeSpace('/x', opts);
  space.consumed(40 * MiB);
  space.requireRoom();
  space.consumed(10 * MiB);
  assert.throws(() => space.requireRoom(), isFull);
});

test('after ENOSPC the volume counts as full until statfs says otherwise', () => {
  const { v, opts } = volume(10 * GiB, 5 * GiB);
  const space = new FreeSpace('/x', opts);
  space.noteFull();
  assert.equal(space.bytesFree(), 0);
  assert.throws(() => space.requireRoom(), isFull);
  v.clock += FREE_SPACE_CACHE_MS;
  space.requireRoom();
});

test('isNoSpace knows ENOSPC, EDQUOT and SQLite\'s full-disk codes, nothing else', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE']) assert.ok(isNoSpace({ code }), code);
  for (const code of ['EIO', 'SQLITE_IOERR', 'SQLITE_BUSY', undefined]) assert.ok(!isNoSpace({ code }), String(code));
  assert.ok(!isNoSpace(null));
});

test('parseSize: bytes, binary and decimal units', () => {
  assert.equal(parseSize('1000000'), 1_000_000);
  assert.equal(parseSize('8MiB'), 8 * MiB);
  assert.equal(parseSize('8M'), 8 * MiB);
  assert.equal(parseSize('2 GiB'), 2 * GiB);
  assert.equal(parseSize('1.5GiB'), 1.5 * GiB);
  assert.equal(parseSize('5GB'), 5e9);
  assert.equal(parseSize('0'), 0);
  for (const bad of ['', 'MiB', '-1MiB', '8 parsecs', '1e3']) assert.equal(parseSize(bad), undefined, bad);
});
