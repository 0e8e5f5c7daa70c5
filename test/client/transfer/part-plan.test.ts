import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PART_SIZE, MAX_PARTS, effectivePartSize, planParts, usesMultipart } from '../../../src/client/transfer/part-plan.js';

const MiB = 1024 * 1024;

describe('part planning', () => {
  it('cuts a size into parts of the part size, the last one shorter', () => {
    assert.deepEqual(planParts(21 * MiB, 5 * MiB), [
      { index: 0, start: 0, size: 5 * MiB },
      { index: 1, start: 5 * MiB, size: 5 * MiB },
      { index: 2, start: 10 * MiB, size: 5 * MiB },
      { index: 3, start: 15 * MiB, size: 5 * MiB },
      { index: 4, start: 20 * MiB, size: MiB },
    ]);
    assert.deepEqual(planParts(10 * MiB, 5 * MiB).map((p) => p.size), [5 * MiB, 5 * MiB]);
    assert.deepEqual(planParts(1, 5 * MiB), [{ index: 0, start: 0, size: 1 }]);
    assert.deepEqual(planParts(0, 5 * MiB), []);
  });

  it('rejects sizes that are not byte counts', () => {
    assert.throws(() => planParts(-1, MiB), RangeError);
    assert.throws(() => planParts(1.5, MiB), RangeError);
    assert.throws(() => planParts(10, 0), RangeError);
  });

  it('grows the part size in whole MiB so no object needs more than 10,000 parts', () => {
    assert.equal(effectivePartSize(100 * MiB, 8 * MiB), 8 * MiB);
    assert.equal(effectivePartSize(MAX_PARTS * 8 * MiB, 8 * MiB), 8 * MiB);
    const big = MAX_PARTS * 8 * MiB + 1;
    const grown = effectivePartSize(big, 8 * MiB);
    assert.equal(grown, 9 * MiB);
    assert.ok(planParts(big, grown).length <= MAX_PARTS);
    const huge = 5 * 1024 * 1024 * MiB; // 5 TiB, Amazon's largest object
    assert.ok(planParts(huge, effectivePartSize(huge, 5 * MiB)).length <= MAX_PARTS);
  });

  it('uploads in parts at the threshold and above, and always above 5 GiB', () => {
    assert.equal(usesMultipart(8 * MiB - 1, 8 * MiB), false);
    assert.equal(usesMultipart(8 * MiB, 8 * MiB), true);
    assert.equal(usesMultipart(0, 5 * MiB), false);
    assert.equal(usesMultipart(MAX_PART_SIZE + 1, MAX_PART_SIZE), true);
  });
});
