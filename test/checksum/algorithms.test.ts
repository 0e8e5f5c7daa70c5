import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import {
  combineCrc,
  compositeChecksum,
  createHasher,
  createJsCrc64NvmeHasher,
  hashOf,
  nativeChecksums,
  type CrcAlgorithm,
} from '../../src/checksum/algorithms.js';
import { CHECKSUM_ALGORITHMS } from '../../src/checksum/types.js';
import { prng, randomSplit } from './helpers.js';

const CHECK = Buffer.from('123456789');

/** Bit-at-a-time reference CRCs (reflected, init and xorout all ones). */
function referenceCrc(width: 32 | 64, poly: bigint, data: Buffer): bigint {
  const mask = (1n << BigInt(width)) - 1n;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ mask;
}
const REFERENCE: Record<CrcAlgorithm, (d: Buffer) => bigint> = {
  CRC32: (d) => referenceCrc(32, 0xedb88320n, d),
  CRC32C: (d) => referenceCrc(32, 0x82f63b78n, d),
  CRC64NVME: (d) => referenceCrc(64, 0x9a6c9329ac4bc9b5n, d),
};
const CRCS = Object.keys(REFERENCE) as CrcAlgorithm[];

describe('check values', () => {
  const known = {
    CRC32: ['y/Q5Jg==', 'AAAAAA=='],
    CRC32C: ['4waSgw==', 'AAAAAA=='],
    CRC64NVME: ['rosUhgp5mIg=', 'AAAAAAAAAAA='],
    SHA1: ['98O8HYCOBHMq32eZZczDTKeuNEE=', '2jmj7l5rSw0yVb/vlWAYkK/YBwk='],
    SHA256: ['FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=', '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='],
  } as const;
  for (const alg of CHECKSUM_ALGORITHMS) {
    it(`${alg} of "123456789" and of nothing`, () => {
      assert.equal(hashOf(alg, CHECK).toString('base64'), known[alg][0]);
      assert.equal(hashOf(alg).toString('base64'), known[alg][1]);
      assert.equal(hashOf(alg, Buffer.alloc(0)).toString('base64'), known[alg][1]);
    });
  }
  it('CRC64NVME of "123456789" is 0xae8b14860a799888', () => {
    assert.equal(hashOf('CRC64NVME', CHECK).toString('hex'), 'ae8b14860a799888');
  });
  it('MD5 too (ETags)', () => {
    assert.equal(hashOf('MD5', Buffer.from('hello')).toString('hex'), '5d41402abc4b2a76b9719d911017c592');
  });
});

describe('table-driven CRCs agree with a bitwise reference', () => {
  const r = prng(7);
  for (const alg of CRCS) {
    it(alg, () => {
      for (const len of [1, 3, 15, 16, 17, 63, 64, 65, 127, 200, 1000, 4099]) {
        const data = r.bytes(len);
        // Every alignment of the data in memory: the fast path reads aligned 32-bit words.
        for (let shift = 0; shift < 4; shift++) {
          const backing = Buffer.alloc(len + 4);
          data.copy(backing, shift);
          const view = backing.subarray(shift, shift + len);
          assert.equal(BigInt('0x' + hashOf(alg, view).toString('hex')), REFERENCE[alg](data), `${alg} len ${len} shift ${shift}`);
        }
      }
    });
  }
});

describe('chunk boundaries do not matter', () => {
  const data = prng(11).bytes(2 * 1024 * 1024 + 13);
  const small = data.subarray(0, 40_000);
  for (const alg of [...CHECKSUM_ALGORITHMS, 'MD5'] as const) {
    it(alg, () => {
      const whole = hashOf(alg, data);
      for (const seed of [2, 3]) {
        const h = createHasher(alg);
        for (const piece of randomSplit(data, seed, 200_000)) h.update(piece);
        assert.deepEqual(h.digest(), whole);
      }
      // Tiny pieces (1–7 bytes) exercise the unaligned head and the byte-wise tail.
      const h = createHasher(alg);
      for (const piece of randomSplit(small, 1, 7)) h.update(piece);
      assert.deepEqual(h.digest(), hashOf(alg, small));
    });
  }
});

describe('combineCrc', () => {
  const r = prng(99);
  for (const alg of CRCS) {
    it(`${alg}: combine(crc(A), crc(B), |B|) == crc(A‖B)`, () => {
      for (const [la, lb] of [[0, 0], [0, 5], [5, 0], [1, 1], [100, 3], [17, 1 << 16], [1 << 20, 12345]] as const) {
        const a = r.bytes(la);
        const b = r.bytes(lb);
        assert.deepEqual(combineCrc(alg, hashOf(alg, a), hashOf(alg, b), lb), hashOf(alg, a, b), `${alg} ${la}+${lb}`);
      }
      for (let i = 0; i < 20; i++) {
        const a = r.bytes(r.int(5000));
        const b = r.bytes(r.int(5000));
        assert.deepEqual(combineCrc(alg, hashOf(alg, a), hashOf(alg, b), b.length), hashOf(alg, a, b));
      }
    });
    it(`${alg}: folding many parts gives the full-object CRC`, () => {
      const parts = [r.bytes(5000), r.bytes(0), r.bytes(70_000), r.bytes(1)];
      let acc = hashOf(alg);
      for (const p of parts) acc = combineCrc(alg, acc, hashOf(alg, p), p.length);
      assert.deepEqual(acc, hashOf(alg, ...parts));
    });
  }
  it('works for lengths past 2^32 (5 GiB parts)', () => {
    // crc(A‖B) where B is 2^33 zero bytes: combine with crc(zeros) computed by combining halves.
    let zeros = hashOf('CRC32C', Buffer.alloc(1 << 20));
    for (let len = 1 << 20; len < 2 ** 33; len *= 2) zeros = combineCrc('CRC32C', zeros, zeros, len);
    const a = Buffer.from('abc');
    const viaLong = combineCrc('CRC32C', hashOf('CRC32C', a), zeros, 2 ** 33);
    // The same thing built the other way around: (a ‖ 2^32 zeros) ‖ 2^32 zeros.
    let half = hashOf('CRC32C', Buffer.alloc(1 << 20));
    for (let len = 1 << 20; len < 2 ** 32; len *= 2) half = combineCrc('CRC32C', half, half, len);
    const step = combineCrc('CRC32C', combineCrc('CRC32C', hashOf('CRC32C', a), half, 2 ** 32), half, 2 ** 32);
    assert.deepEqual(viaLong, step);
  });
  it('rejects digests of the wrong size', () => {
    assert.throws(() => combineCrc('CRC64NVME', Buffer.alloc(4), Buffer.alloc(8), 1), RangeError);
  });
});

describe('compositeChecksum', () => {
  it('hashes the concatenated binary part digests and appends -N', () => {
    const parts = [Buffer.from('part one'), Buffer.from('part two'), Buffer.from('3')];
    for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
      const digests = parts.map((p) => hashOf(alg, p));
      const expected = hashOf(alg, Buffer.concat(digests)).toString('base64');
      assert.equal(compositeChecksum(alg, digests), `${expected}-3`);
    }
  });
  it('matches a value computed independently (SHA256 over two parts)', () => {
    const d1 = hashOf('SHA256', Buffer.from('a'));
    const d2 = hashOf('SHA256', Buffer.from('b'));
    assert.match(compositeChecksum('SHA256', [d1, d2]), /^[A-Za-z0-9+/]{43}=-2$/);
  });
});

test('the native CRC64NVME, when built, matches the JavaScript one at every alignment', (t) => {
  if (!nativeChecksums) {
    t.skip('native addon not built');
    return;
  }
  const data = Buffer.alloc(70_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  for (const [start, end] of [[0, 0], [0, 9], [1, 70_000], [3, 65_539], [7, 8], [5, 69_997]] as const) {
    const slice = data.subarray(start, end);
    const js = createJsCrc64NvmeHasher();
    const native = createHasher('CRC64NVME');
    // Fed in uneven pieces, so the register carries across calls.
    for (let at = 0; at < slice.length; at += 4099) {
      js.update(slice.subarray(at, at + 4099));
      native.update(slice.subarray(at, at + 4099));
    }
    assert.deepEqual(native.digest(), js.digest(), `${start}-${end}`);
  }
  assert.equal(hashOf('CRC64NVME', Buffer.from('123456789')).toString('hex'), 'ae8b14860a799888');
});
