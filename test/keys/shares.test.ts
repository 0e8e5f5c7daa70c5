import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyError } from '../../src/keys/key-error.js';
import { combineShares, parseShare, splitKey } from '../../src/keys/shares.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i));

function subsets<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) out.push(items.filter((_, i) => (mask & (1 << i)) !== 0));
  return out;
}

const parsed = (texts: readonly string[]) => texts.map((t, i) => ({ share: parseShare(t, `share ${i + 1}`), label: `share ${i + 1}` }));
const shareError = (re: RegExp) => (e: unknown) => e instanceof KeyError && e.code === 'STRONGBOX_SHARE_INVALID' && re.test(e.message);

describe('key shares', () => {
  it('3-of-5: all 16 subsets of 3 or more rebuild the key, all 15 smaller ones are refused', async () => {
    const shares = await splitKey(KEY, 5, 3);
    assert.equal(shares.length, 5);
    for (const s of shares) assert.match(s, /^sbshare1-3-[0-9a-f]{8}-[0-9a-f]{66}-[0-9a-f]{8}$/);
    let rebuilt = 0;
    let refused = 0;
    for (const subset of subsets(shares)) {
      if (subset.length >= 3) {
        assert.deepEqual(await combineShares(parsed(subset)), KEY);
        rebuilt++;
      } else {
        await assert.rejects(combineShares(parsed(subset)), shareError(/needs 3/));
        refused++;
      }
    }
    assert.equal(rebuilt, 16);
    assert.equal(refused, 15);
  });

  it('parsing ignores case and surrounding whitespace', async () => {
    const shares = await splitKey(KEY, 2, 2);
    assert.deepEqual(await combineShares(parsed(shares.map((s) => `  ${s.toUpperCase()}\n`))), KEY);
  });

  it('every one-character change to a share is caught by its checksum', async () => {
    const [share] = await splitKey(KEY, 3, 2);
    const text = share!;
    const start = text.indexOf('-', 'sbshare1-'.length) + 1; // after the threshold
    for (let i = start; i < text.length; i++) {
      if (text[i] === '-') continue;
      const ch = text[i] === '0' ? '1' : '0';
      const typo = text.slice(0, i) + ch + text.slice(i + 1);
      assert.throws(() => parseShare(typo, 'share 2'), shareError(/^share 2 fails its checksum/));
    }
    // A changed threshold is caught too.
    assert.throws(() => parseShare(text.replace('sbshare1-2-', 'sbshare1-3-'), 'share 1'), shareError(/checksum/));
  });

  it('refuses malformed shares, mixed splits and repeated shares, naming the share', async () => {
    const a = await splitKey(KEY, 3, 2);
    const b = await splitKey(KEY, 3, 2);
    assert.throws(() => parseShare('hello', 'share 1'), shareError(/^share 1 is not a Strongbox key share/));
    assert.throws(() => parseShare('sbshare1-2-abc', 'share 1'), shareError(/malformed/));
    assert.throws(() => parseShare(a[0]!.slice(0, -1), 'share 1'), shareError(/malformed/));
    await assert.rejects(combineShares(parsed([a[0]!, b[1]!])), shareError(/share 2 comes from another split than share 1/));
    await assert.rejects(combineShares(parsed([a[0]!, a[0]!])), shareError(/share 2 is the same share as share 1/));
    await assert.rejects(combineShares([]), shareError(/no shares/));
  });

  it('checks the split parameters', async () => {
    for (const [n, k] of [[1, 1], [5, 1], [3, 4], [256, 2], [2.5, 2]] as const) {
      await assert.rejects(splitKey(KEY, n, k), KeyError);
    }
    assert.equal((await splitKey(KEY, 255, 255)).length, 255);
  });
});
