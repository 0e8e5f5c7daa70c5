import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { hkdfSha256 } from '../../src/crypto/hkdf.js';
import { secureRandomBytes } from '../../src/crypto/random.js';

test('hkdfSha256 gives exactly crypto.hkdfSync\'s 32 bytes (stored objects depend on it)', () => {
  for (let i = 0; i < 200; i++) {
    const ikm = randomBytes(1 + (i % 64));
    const salt = randomBytes(i % 40);
    const info = randomBytes((i * 7) % 1025);
    assert.deepEqual(hkdfSha256(ikm, salt, info), Buffer.from(hkdfSync('sha256', ikm, salt, info, 32)), `case ${i}`);
  }
  // RFC 5869 test case 1 (first 32 bytes of its OKM).
  const okm = hkdfSha256(Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'), Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'));
  assert.equal(okm.toString('hex'), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf');
});

test('secureRandomBytes hands out fresh, distinct bytes of the asked size, pooled or not', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const b = secureRandomBytes(12 + (i % 21));
    assert.equal(b.length, 12 + (i % 21));
    seen.add(b.toString('hex'));
  }
  assert.equal(seen.size, 5000, 'no value is handed out twice');
  const big = secureRandomBytes(4096);
  assert.equal(big.length, 4096);
  assert.notDeepEqual(big, Buffer.alloc(4096));
  const a = secureRandomBytes(32);
  a.fill(0);
  assert.notDeepEqual(secureRandomBytes(32), Buffer.alloc(32), 'wiping a value does not affect the next');
});
