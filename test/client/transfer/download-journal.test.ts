import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JOURNAL_FORMAT,
  JournalWriter,
  journalMatches,
  journalPathFor,
  parseJournal,
  readJournal,
  serializeJournal,
  tempPathFor,
  type DownloadJournal,
} from '../../../src/client/transfer/download-journal.js';

const MiB = 1024 * 1024;
const journal: DownloadJournal = { format: JOURNAL_FORMAT, bucket: 'b', key: 'dir/k.bin', etag: '"abc-3"', size: 12 * MiB, partSize: 5 * MiB, done: [0, 2] };

describe('download journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-journal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lives beside the destination', () => {
    assert.equal(tempPathFor('/x/a.bin'), '/x/a.bin.strongbox-download');
    assert.equal(journalPathFor('/x/a.bin'), '/x/a.bin.strongbox-download.json');
  });

  it('round-trips, sorting and deduplicating the parts done', () => {
    assert.deepEqual(parseJournal(serializeJournal(journal)), journal);
    assert.deepEqual(parseJournal(JSON.stringify({ ...journal, done: [2, 0, 2] })), journal);
  });

  it('refuses what it cannot trust, with a reason', () => {
    const bad = (v: unknown) => {
      const r = parseJournal(typeof v === 'string' ? v : JSON.stringify(v));
      assert.ok('invalid' in r, `accepted ${JSON.stringify(v)}`);
      return r.invalid;
    };
    assert.match(bad('{"format": "strongbox-download/1"'), /not JSON/);
    assert.match(bad('[]'), /format/);
    assert.match(bad({ ...journal, format: 'strongbox-download/9' }), /format/);
    assert.match(bad({ ...journal, etag: 5 }), /etag/);
    assert.match(bad({ ...journal, size: -1 }), /byte count/);
    assert.match(bad({ ...journal, partSize: 0 }), /byte count/);
    assert.match(bad({ ...journal, done: [3] }), /parts the object does not have/);
    assert.match(bad({ ...journal, done: [0.5] }), /parts the object does not have/);
    assert.match(bad({ ...journal, done: 'all' }), /parts the object does not have/);
  });

  it('matches only the same object with the same ETag and size', () => {
    const target = { bucket: 'b', key: 'dir/k.bin', etag: '"abc-3"', size: 12 * MiB };
    assert.equal(journalMatches(journal, target), true);
    assert.equal(journalMatches(journal, { ...target, etag: '"def-3"' }), false);
    assert.equal(journalMatches(journal, { ...target, size: 12 * MiB + 1 }), false);
    assert.equal(journalMatches(journal, { ...target, key: 'dir/other.bin' }), false);
    assert.equal(journalMatches(journal, { ...target, bucket: 'c' }), false);
  });

  it('is written atomically after each part, private, and never lists a part twice', async () => {
    const path = join(dir, 'a.json');
    assert.equal(await readJournal(path), undefined);
    const { done: _, ...base } = journal;
    const w = new JournalWriter(path, base, []);
    await w.write();
    assert.deepEqual(await readJournal(path), { ...journal, done: [] });
    await Promise.all([w.markDone(2), w.markDone(0), w.markDone(2)]);
    assert.deepEqual(await readJournal(path), journal);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.doesNotMatch(readFileSync(path, 'utf8'), /key"?\s*:\s*"[A-Za-z0-9+/]{43}=/);
  });
});
