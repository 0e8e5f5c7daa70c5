import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapOrdered } from '../../src/client/ordered-map.js';
import { Limiter } from '../../src/client/transfer/limiter.js';

/** Resolves after `n` turns of the event loop, so later items can finish first. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('ordered concurrent map', () => {
  it('emits in input order whatever order calls finish in, with at most `limit` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out: number[] = [];
    async function* items() {
      for (let i = 0; i < 20; i++) yield i;
    }
    await mapOrdered(items(), 4, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await turns(20 - i);
      inFlight--;
      return i * 10;
    }, (r) => out.push(r));
    assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i * 10));
    assert.ok(most <= 4 && most > 1, `most in flight: ${most}`);
  });

  it('throws the first failure after emitting what came before it', async () => {
    const out: number[] = [];
    await assert.rejects(
      mapOrdered([1, 2, 3, 4], 2, async (i) => {
        if (i === 3) throw new Error('three');
        return i;
      }, (r) => out.push(r)),
      /three/,
    );
    assert.deepEqual(out, [1, 2]);
  });
});

describe('limiter', () => {
  it('runs at most `limit` tasks at once and passes results and failures through', async () => {
    const limiter = new Limiter(3);
    let inFlight = 0;
    let most = 0;
    const task = async (i: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await turns(3);
      inFlight--;
      if (i === 5) throw new Error('five');
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => limiter.run(() => task(i))));
    assert.equal(most, 3);
    assert.deepEqual(results.filter((r) => r.status === 'fulfilled').map((r) => r.value), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    assert.match(String((results[5] as PromiseRejectedResult).reason), /five/);
  });
});
