import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAhead } from '../../src/client/read-ahead.js';

async function* counting(n: number, log: number[], failAt?: number): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      if (i === failAt) throw new Error(`source failed at ${i}`);
      await Promise.resolve();
      log.push(i);
      yield i;
    }
  } finally {
    log.push(-1);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test('readAhead yields everything in order and reads at most `limit` ahead', async () => {
  const read: number[] = [];
  const seen: number[] = [];
  const got: number[] = [];
  const it = readAhead(counting(3000, read), 5, (i) => seen.push(i));
  const first = await it.next();
  assert.equal(first.value, 0);
  got.push(0);
  await tick();
  // One taken, five waiting: the source is not read further until the consumer takes more.
  assert.ok(seen.length <= 7, `read ${seen.length} items ahead`);
  for await (const i of it) got.push(i);
  assert.deepEqual(got, Array.from({ length: 3000 }, (_, i) => i));
  assert.deepEqual(seen, got);
  assert.equal(read.at(-1), -1, 'the source was closed');
});

test('readAhead passes on a failure of the source after the items read before it', async () => {
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const i of readAhead(counting(10, [], 4), 100, () => undefined)) got.push(i);
    })(),
    /source failed at 4/,
  );
  assert.deepEqual(got, [0, 1, 2, 3]);
});

test('readAhead stops reading when the consumer stops', async () => {
  const read: number[] = [];
  for await (const i of readAhead(counting(1000, read), 10, () => undefined)) if (i === 2) break;
  assert.equal(read.at(-1), -1, 'the source was closed');
  assert.ok(read.length < 20, `read ${read.length - 1} items`);
});
