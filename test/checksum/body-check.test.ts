import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { hashOf, type HashName } from '../../src/checksum/algorithms.js';
import { MAX_IN_FLIGHT, checkBody, digestBody, type BodyCheckOptions } from '../../src/checksum/body-check.js';
import { hashPoolStats, shutdownHashPool, SLAB_SIZE } from '../../src/checksum/hash-pool.js';
import { CHECKSUM_ALGORITHMS } from '../../src/checksum/types.js';
import type { IncomingHttpHeaders } from 'node:http';
import { fakePayload, isS3Error, prng, randomSplit, type FakePayloadOptions } from './helpers.js';

after(() => shutdownHashPool());

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
const b64 = (alg: HashName, ...d: Buffer[]) => hashOf(alg, ...d).toString('base64');

async function run(
  headers: IncomingHttpHeaders,
  chunks: Buffer[],
  opts: BodyCheckOptions,
  payloadOpts: FakePayloadOptions = {},
) {
  const payload = fakePayload(chunks, payloadOpts);
  const check = checkBody(headers, payload, opts);
  await pipeline(payload.body, check.stream, sink());
  return check.result();
}

const HELLO = [Buffer.from('hel'), Buffer.from('lo')];
const HELLO_MD5 = 'XUFAKrxLKna5cZ2REBfFkg==';

describe('checkBody: digests', () => {
  it('computes MD5 and the default CRC64NVME', async () => {
    const r = await run({}, HELLO, { md5: true, defaultAlgorithm: 'CRC64NVME' });
    assert.equal(r.size, 5);
    assert.equal(r.md5?.toString('base64'), HELLO_MD5);
    assert.deepEqual(r.checksum, { algorithm: 'CRC64NVME', type: 'FULL_OBJECT', value: b64('CRC64NVME', Buffer.from('hello')) });
    assert.deepEqual(r.checksumDigest, hashOf('CRC64NVME', Buffer.from('hello')));
  });
  it('computes nothing it was not asked for', async () => {
    const r = await run({}, HELLO, { md5: false });
    assert.deepEqual(r, { size: 5 });
  });
  it('an empty body has CRC32 AAAAAA==', async () => {
    const r = await run({ 'x-amz-checksum-crc32': 'AAAAAA==' }, [], { md5: true });
    assert.equal(r.checksum?.value, 'AAAAAA==');
    assert.equal(r.md5?.toString('hex'), 'd41d8cd98f00b204e9800998ecf8427e');
  });
  it('the requested algorithm wins over the default', async () => {
    const r = await run({ 'x-amz-checksum-sha256': b64('SHA256', Buffer.from('hello')) }, HELLO, {
      md5: false,
      defaultAlgorithm: 'CRC64NVME',
    });
    assert.equal(r.checksum?.algorithm, 'SHA256');
  });
});

describe('checkBody: header errors are thrown synchronously', () => {
  it('invalid checksum header', () => {
    assert.throws(
      () => checkBody({ 'x-amz-checksum-crc32c': 'nope' }, fakePayload(HELLO), { md5: false }),
      isS3Error('InvalidRequest', 'Value for x-amz-checksum-crc32c header is invalid.'),
    );
  });
  it('invalid Content-MD5', () => {
    assert.throws(
      () => checkBody({ 'content-md5': 'short' }, fakePayload(HELLO), { md5: false }),
      isS3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.'),
    );
  });
});

describe('checkBody: Content-MD5', () => {
  it('good: accepted, and the MD5 is returned even with md5: false', async () => {
    const r = await run({ 'content-md5': HELLO_MD5 }, HELLO, { md5: false });
    assert.equal(r.md5?.toString('base64'), HELLO_MD5);
  });
  it('bad: BadDigest with both digests', async () => {
    const wrong = hashOf('MD5', Buffer.from('world')).toString('base64');
    await assert.rejects(run({ 'content-md5': wrong }, HELLO, { md5: true }), (e: unknown) => {
      isS3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.')(e);
      assert.deepEqual((e as { fields: unknown }).fields, { ExpectedDigest: wrong, CalculatedDigest: HELLO_MD5 });
      return true;
    });
  });
});

describe('checkBody: checksum header', () => {
  for (const alg of CHECKSUM_ALGORITHMS) {
    const name = `x-amz-checksum-${alg.toLowerCase()}`;
    it(`${alg}: match is returned`, async () => {
      const value = b64(alg, Buffer.from('hello'));
      const r = await run({ [name]: value }, HELLO, { md5: false });
      assert.deepEqual(r.checksum, { algorithm: alg, type: 'FULL_OBJECT', value });
    });
    it(`${alg}: mismatch → BadDigest`, async () => {
      await assert.rejects(
        run({ [name]: b64(alg, Buffer.from('hellO')) }, HELLO, { md5: false }),
        isS3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`),
      );
    });
  }
});

describe('checkBody: checksum trailer', () => {
  const streaming = (trailers: Record<string, string>, declared = ['x-amz-checksum-crc32']): FakePayloadOptions => ({
    mode: 'streaming-unsigned-trailer',
    declaredTrailers: declared,
    trailers,
    length: undefined,
  });
  const good = b64('CRC32', Buffer.from('hello'));
  it('match', async () => {
    const r = await run({}, HELLO, { md5: false }, streaming({ 'x-amz-checksum-crc32': good }));
    assert.deepEqual(r.checksum, { algorithm: 'CRC32', type: 'FULL_OBJECT', value: good });
  });
  it('mismatch → BadDigest', async () => {
    await assert.rejects(
      run({}, HELLO, { md5: false }, streaming({ 'x-amz-checksum-crc32': 'AAAAAA==' })),
      isS3Error('BadDigest', 'The CRC32 you specified did not match the calculated checksum.'),
    );
  });
  it('invalid value → InvalidRequest (trailing header)', async () => {
    await assert.rejects(
      run({}, HELLO, { md5: false }, streaming({ 'x-amz-checksum-crc32': 'AAAA' })),
      isS3Error('InvalidRequest', 'Value for x-amz-checksum-crc32 trailing header is invalid.'),
    );
  });
  it('announced but missing → MalformedTrailerError', async () => {
    await assert.rejects(
      run({}, HELLO, { md5: false, defaultAlgorithm: 'CRC64NVME' }, streaming({})),
      isS3Error(
        'MalformedTrailerError',
        'The request contained trailing data that was not well-formed or did not conform to our published schema.',
      ),
    );
  });
  it('sent but not announced → MalformedTrailerError', async () => {
    await assert.rejects(
      run({}, HELLO, { md5: false }, streaming({ 'x-amz-checksum-crc32': good }, [])),
      isS3Error(
        'MalformedTrailerError',
        'The request contained trailing data that was not well-formed or did not conform to our published schema.',
      ),
    );
  });
  it('no x-amz-trailer and no trailer: accepted, CRC64NVME computed (versitygw#1632)', async () => {
    const r = await run({}, HELLO, { md5: false, defaultAlgorithm: 'CRC64NVME' }, streaming({}, []));
    assert.equal(r.checksum?.algorithm, 'CRC64NVME');
  });
  it('works through the worker path too', async () => {
    const data = prng(5).bytes(2 * 1024 * 1024 + 3);
    const value = b64('CRC32C', data);
    const ok = await run({}, randomSplit(data, 1), { md5: true, inlineLimit: 0 }, streaming({ 'x-amz-checksum-crc32c': value }, ['x-amz-checksum-crc32c']));
    assert.equal(ok.checksum?.value, value);
    await assert.rejects(
      run({}, randomSplit(data, 2), { md5: true, inlineLimit: 0 }, streaming({ 'x-amz-checksum-crc32c': 'AAAAAA==' }, ['x-amz-checksum-crc32c'])),
      isS3Error('BadDigest', 'The CRC32C you specified did not match the calculated checksum.'),
    );
  });
});

describe('checkBody: worker path == inline path', () => {
  const r = prng(2024);
  const sizes = [0, 1, 1000, 256 * 1024, 256 * 1024 + 1, SLAB_SIZE, SLAB_SIZE + 1, 3 * SLAB_SIZE + 12345];
  for (const size of sizes) {
    it(`${size} bytes, every algorithm, inline / worker / unknown length`, async () => {
      const data = r.bytes(size);
      for (const alg of CHECKSUM_ALGORITHMS) {
        const headers = { [`x-amz-checksum-${alg.toLowerCase()}`]: b64(alg, data) };
        const results = [];
        for (const [inlineLimit, length] of [[Infinity, size], [0, size], [undefined, undefined], [undefined, size]] as const) {
          const opts: BodyCheckOptions = { md5: true, ...(inlineLimit === undefined ? {} : { inlineLimit }) };
          results.push(await run(headers, randomSplit(data, size + alg.length, 70_000), opts, { length }));
        }
        for (const res of results) assert.deepEqual(res, results[0]);
        assert.deepEqual(results[0]?.md5, hashOf('MD5', data));
        assert.equal(results[0]?.size, size);
      }
    });
  }
  it('concurrent streams on a shared pool stay separate', async () => {
    const bodies = [1, 2, 3, 4, 5].map((i) => r.bytes(i * 700_000));
    const results = await Promise.all(
      bodies.map((d, i) => run({}, randomSplit(d, i), { md5: true, defaultAlgorithm: 'CRC64NVME', inlineLimit: 0 })),
    );
    results.forEach((res, i) => {
      assert.deepEqual(res.md5, hashOf('MD5', bodies[i]!));
      assert.deepEqual(res.checksumDigest, hashOf('CRC64NVME', bodies[i]!));
    });
    assert.equal(hashPoolStats().busyTasks, 0);
  });
});

/** An endless source of 64 KiB chunks that counts what was pulled from it. */
function endless(): Readable & { produced: number } {
  const chunk = prng(3).bytes(64 * 1024);
  const src = new Readable({
    read() {
      src.produced += chunk.length;
      this.push(Buffer.from(chunk));
    },
  }) as Readable & { produced: number };
  src.produced = 0;
  return src;
}

describe('checkBody: backpressure and teardown', () => {
  it('a slow consumer stops the source (memory stays bounded)', async () => {
    const src = endless();
    const payload = { ...fakePayload([]), body: src, length: undefined };
    const check = checkBody({}, payload, { md5: true, defaultAlgorithm: 'CRC64NVME', inlineLimit: 0 });
    const slow = new Writable({ highWaterMark: 64 * 1024, write: (_c, _e, cb) => void setTimeout(cb, 20) });
    const done = pipeline(src, check.stream, slow);
    await sleep(300);
    const produced = src.produced;
    assert.ok(produced < 16 * 1024 * 1024, `pulled ${produced} bytes for a consumer that took < 1 MiB`);
    slow.destroy(new Error('stop'));
    await assert.rejects(done, /stop/);
    await assert.rejects(check.result(), /stop/);
  });
  it('bytes waiting for the workers never exceed MAX_IN_FLIGHT', async () => {
    const TOTAL = 48 * 1024 * 1024;
    let produced = 0;
    const chunk = prng(4).bytes(256 * 1024);
    const src = new Readable({
      read() {
        if (produced >= TOTAL) return void this.push(null);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const check = checkBody({}, { ...fakePayload([]), body: src, length: TOTAL }, { md5: true, defaultAlgorithm: 'SHA256', inlineLimit: 0 });
    const stream = check.stream as typeof check.stream & { pendingHashBytes: number };
    let max = 0;
    const fast = new Writable({
      write(_c, _e, cb) {
        max = Math.max(max, stream.pendingHashBytes);
        cb();
      },
    });
    await pipeline(src, stream, fast);
    const res = await check.result();
    assert.equal(res.size, TOTAL);
    assert.ok(max <= MAX_IN_FLIGHT + SLAB_SIZE, `max pending ${max}`);
    assert.ok(max > 0, 'the worker path was used');
  });
  it('a destroyed stream releases its workers', async () => {
    const src = endless();
    const check = checkBody({}, { ...fakePayload([]), body: src, length: undefined }, { md5: true, defaultAlgorithm: 'CRC64NVME', inlineLimit: 0 });
    const done = pipeline(src, check.stream, sink());
    while (src.produced < 20 * 1024 * 1024) await sleep(5);
    assert.ok(hashPoolStats().busyTasks > 0);
    src.destroy(new Error('client went away'));
    await assert.rejects(done, /client went away/);
    await assert.rejects(check.result(), /client went away/);
    assert.equal(hashPoolStats().busyTasks, 0);
    // The pool still works afterwards.
    const data = prng(8).bytes(3 * SLAB_SIZE);
    const r = await run({}, randomSplit(data, 9), { md5: true, inlineLimit: 0 });
    assert.deepEqual(r.md5, hashOf('MD5', data));
  });
  it('a worker that dies fails its streams instead of hanging them; the pool recovers', async () => {
    const src = endless();
    const check = checkBody({}, { ...fakePayload([]), body: src, length: undefined }, { md5: true, inlineLimit: 0 });
    const done = pipeline(src, check.stream, sink());
    // Handled from the start: the pipeline may fail while the pool is still shutting down.
    const failed = assert.rejects(done, /hash worker exited/);
    while (src.produced < 4 * 1024 * 1024) await sleep(5);
    await shutdownHashPool();
    await failed;
    await assert.rejects(check.result(), /hash worker exited/);
    const data = prng(10).bytes(2 * SLAB_SIZE);
    const r = await run({}, randomSplit(data, 11), { md5: true, inlineLimit: 0 });
    assert.deepEqual(r.md5, hashOf('MD5', data));
  });
  it('result() rejects if the body never ended', async () => {
    const check = checkBody({}, fakePayload(HELLO), { md5: true });
    check.stream.destroy();
    await once(check.stream, 'close');
    await assert.rejects(check.result(), /closed before the body ended/);
  });
});

describe('digestBody', () => {
  it('computes without verifying anything', async () => {
    const data = prng(12).bytes(2 * SLAB_SIZE + 5);
    for (const length of [undefined, data.length]) {
      const d = digestBody({ md5: true, algorithm: 'CRC32C', length });
      await pipeline(Readable.from(randomSplit(data, 3)), d.stream, sink());
      const r = await d.result();
      assert.equal(r.size, data.length);
      assert.deepEqual(r.md5, hashOf('MD5', data));
      assert.equal(r.checksum?.value, b64('CRC32C', data));
    }
  });
});
