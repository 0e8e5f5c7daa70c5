import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkFiles } from '../../../src/client/transfer/local-files.js';

describe('walking a local folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'sb-walk-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('yields regular files in name order, follows links once and reports what it skips', async () => {
    mkdirSync(join(root, 'b/c'), { recursive: true });
    writeFileSync(join(root, 'z.txt'), 'zz');
    writeFileSync(join(root, 'b/c/deep.txt'), 'deep');
    writeFileSync(join(root, 'a.txt'), 'a');
    symlinkSync(join(root, 'a.txt'), join(root, 'link.txt'));
    symlinkSync('..', join(root, 'b/up'));
    symlinkSync(join(root, 'nowhere'), join(root, 'broken'));
    const seen = [];
    for await (const f of walkFiles(root)) seen.push('skipped' in f ? { skipped: f.skipped.slice(root.length + 1), reason: f.reason } : { rel: f.rel, size: f.size, path: f.path });
    assert.deepEqual(seen.filter((f) => 'rel' in f), [
      { rel: 'a.txt', size: 1, path: join(root, 'a.txt') },
      { rel: 'b/c/deep.txt', size: 4, path: join(root, 'b/c/deep.txt') },
      { rel: 'link.txt', size: 1, path: join(root, 'link.txt') },
      { rel: 'z.txt', size: 2, path: join(root, 'z.txt') },
    ]);
    const skipped = seen.filter((f) => 'skipped' in f);
    assert.equal(skipped.length, 2);
    assert.equal(skipped[0]!.skipped, 'b/up');
    assert.match(skipped[0]!.reason, /already copied \(a link loop\?\)/);
    assert.deepEqual(skipped[1], { skipped: 'broken', reason: 'a broken link, or gone' });
  });
});
