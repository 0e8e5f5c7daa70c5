import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError } from '../../../src/client/client-error.js';
import { RotationJournal, defaultJournalName, parseJournal, type RotationIdentity } from '../../../src/client/rotation/rotation-journal.js';

const ID: RotationIdentity = { endpoint: 'https://s3.example', bucket: 'b', prefix: 'p/', from: '1111-2222-3333-4444', to: '5555-6666-7777-8888' };
const LABELS = { from: 'old', to: 'new' };
const NOW = new Date('2026-01-02T03:04:05Z');

const header = (id: RotationIdentity = ID) => `${JSON.stringify({ format: 'strongbox-rotate-journal', version: 1, ...id, labels: LABELS, started: NOW.toISOString() })}\n`;
const entry = (key: string, outcome: string, extra: Record<string, string> = {}) => `${JSON.stringify({ key, outcome, ...extra })}\n`;

function journalError(pattern: RegExp): (err: unknown) => boolean {
  return (err) => err instanceof ClientError && err.code === 'STRONGBOX_CLIENT_JOURNAL' && pattern.test(err.message);
}

describe('parseJournal', () => {
  it('reads the header, the finished objects and the completion line', () => {
    const text = header() + entry('p/a', 'rotated') + entry('p/b', 'already-rotated') + entry('p/c', 'rotated', { kmsKeyId: 'arn:k' }) + entry('p/a', 'rotated');
    const s = parseJournal(text, ID, 'j');
    assert.ok(s !== undefined);
    assert.deepEqual([...s.done], [['p/a', 'rotated'], ['p/b', 'already-rotated'], ['p/c', 'rotated']]);
    assert.deepEqual([...s.kmsKeyIds], ['arn:k']);
    assert.equal(s.completion, undefined);
    assert.equal(s.validLength, Buffer.byteLength(text));
    const done = parseJournal(text + `${JSON.stringify({ completed: NOW.toISOString(), counts: { rotated: 3 } })}\n`, ID, 'j');
    assert.deepEqual(done?.completion, { completed: NOW.toISOString(), counts: { rotated: 3 } });
  });

  it('ignores a torn last line and says where the whole lines end', () => {
    const whole = header() + entry('p/ä', 'rotated');
    const s = parseJournal(`${whole}{"key":"p/b","outc`, ID, 'j');
    assert.deepEqual([...(s?.done.keys() ?? [])], ['p/ä']);
    assert.equal(s?.validLength, Buffer.byteLength(whole));
    // A line torn right before its newline is dropped too: the object is HEADed again.
    assert.equal(parseJournal(whole + entry('p/c', 'rotated').trimEnd(), ID, 'j')?.done.has('p/c'), false);
  });

  it('treats an empty file or a torn header as no journal yet', () => {
    assert.equal(parseJournal('', ID, 'j'), undefined);
    assert.equal(parseJournal(header().slice(0, 30), ID, 'j'), undefined);
    assert.equal(parseJournal(header().slice(0, 5), ID, 'j'), undefined);
    assert.equal(parseJournal(header().trimEnd(), ID, 'j'), undefined);
  });

  it('refuses the journal of another rotation, naming what differs', () => {
    assert.throws(() => parseJournal(header({ ...ID, prefix: 'q/' }), ID, 'j'), journalError(/another rotation \(prefix "q\/" instead of "p\/"\)/));
    assert.throws(() => parseJournal(header({ ...ID, to: 'kms:alias/x' }), ID, 'j'), journalError(/another rotation \(to "kms:alias\/x"/));
    assert.throws(() => parseJournal(header({ ...ID, endpoint: null }), ID, 'j'), journalError(/endpoint null instead of/));
  });

  it('refuses files that are not journals and damage before the last line', () => {
    assert.throws(() => parseJournal('hello\nworld\n', ID, 'notes.txt'), journalError(/notes.txt is not a rotation journal/));
    assert.throws(() => parseJournal('no newline at all', ID, 'f'), journalError(/not a rotation journal/));
    assert.throws(() => parseJournal('{"format":"other"}\n', ID, 'f'), journalError(/not a rotation journal/));
    assert.throws(() => parseJournal(header().replace('"version":1', '"version":9'), ID, 'f'), journalError(/format version 9/));
    assert.throws(() => parseJournal(header() + '{"key":"p/a","outc\n' + entry('p/b', 'rotated'), ID, 'j'), journalError(/line 2 is damaged/));
    assert.throws(() => parseJournal(header() + entry('p/a', 'exploded'), ID, 'j'), journalError(/line 2 is not a journal entry/));
  });

  it('names journals after the rotation', () => {
    assert.match(defaultJournalName(ID), /^strongbox-rotate-[0-9a-f]{16}\.jsonl$/);
    assert.equal(defaultJournalName(ID), defaultJournalName({ ...ID }));
    assert.notEqual(defaultJournalName(ID), defaultJournalName({ ...ID, prefix: 'p' }));
    assert.notEqual(defaultJournalName(ID), defaultJournalName({ ...ID, endpoint: null }));
  });
});

describe('RotationJournal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-journal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a private journal, appends lines, and resumes it', async () => {
    const path = join(dir, 'a.jsonl');
    const first = await RotationJournal.open(path, ID, LABELS, NOW);
    assert.equal(first.resumed, undefined);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await Promise.all(['p/1', 'p/2', 'p/3'].map((k) => first.journal.record(k, 'rotated')));
    await first.journal.record('p/4', 'rotated', 'arn:aws:kms:us-east-1:000000000000:key/k');
    await first.journal.close();
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\n').length, 6);
    assert.equal(text.split('\n')[0], header().trimEnd());

    const second = await RotationJournal.open(path, ID, LABELS, NOW);
    assert.deepEqual([...(second.resumed?.done.keys() ?? [])].sort(), ['p/1', 'p/2', 'p/3', 'p/4']);
    assert.deepEqual([...(second.resumed?.kmsKeyIds ?? [])], ['arn:aws:kms:us-east-1:000000000000:key/k']);
    await second.journal.complete({ completed: NOW.toISOString(), counts: { rotated: 4 } });
    await second.journal.close();
    const third = await RotationJournal.open(path, ID, LABELS, NOW);
    assert.deepEqual(third.resumed?.completion?.counts, { rotated: 4 });
    await third.journal.close();
  });

  it('cuts a torn last line off before appending', async () => {
    const path = join(dir, 'torn.jsonl');
    await writeFile(path, header() + entry('p/1', 'rotated') + '{"key":"p/2","outcome":"rot');
    const { journal, resumed } = await RotationJournal.open(path, ID, LABELS, NOW);
    assert.deepEqual([...(resumed?.done.keys() ?? [])], ['p/1']);
    await journal.record('p/2', 'rotated');
    await journal.close();
    assert.equal(await readFile(path, 'utf8'), header() + entry('p/1', 'rotated') + entry('p/2', 'rotated'));
  });

  it('rewrites a header torn by a crash', async () => {
    const path = join(dir, 'torn-header.jsonl');
    await writeFile(path, header().slice(0, 40));
    const { journal, resumed } = await RotationJournal.open(path, ID, LABELS, NOW);
    assert.equal(resumed, undefined);
    await journal.close();
    assert.equal(await readFile(path, 'utf8'), header());
  });

  it('leaves another rotation’s journal and other files untouched', async () => {
    const other = join(dir, 'other.jsonl');
    await writeFile(other, header({ ...ID, bucket: 'c' }) + entry('p/1', 'rotated'));
    const before = await readFile(other);
    await assert.rejects(RotationJournal.open(other, ID, LABELS, NOW), journalError(/belongs to another rotation \(bucket "c" instead of "b"\)/));
    assert.deepEqual(await readFile(other), before);
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'my notes');
    await appendFile(notes, ' and more');
    await assert.rejects(RotationJournal.open(notes, ID, LABELS, NOW), journalError(/not a rotation journal/));
    assert.equal(await readFile(notes, 'utf8'), 'my notes and more');
  });
});
