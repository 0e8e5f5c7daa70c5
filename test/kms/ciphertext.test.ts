/**
 * The frozen ciphertext blob format of the built-in KMS: layout, context binding, and that any
 * change to a blob (header, salt, nonce, body, tag, length) fails authentication.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CIPHERTEXT_FORMAT,
  CIPHERTEXT_OVERHEAD,
  canonicalContext,
  decryptBlob,
  encryptBlob,
  parseBlob,
} from '../../src/kms/builtin/ciphertext.js';

const MATERIAL = Buffer.alloc(32, 7);
const HEADER = { keyId: '0b1e7c52-9d3f-4a8e-8f11-2c4d5e6f7a8b', version: 3 };
const PLAIN = Buffer.from('a 32-byte data key, say; any len');
const CONTEXT = { 'aws:s3:arn': 'arn:aws:s3:::bucket/key', purpose: 'test' };

describe('KMS ciphertext blobs', () => {
  it('lay out format, key id, version, salt, then nonce ‖ ciphertext ‖ tag', () => {
    const blob = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    assert.equal(blob.length, PLAIN.length + CIPHERTEXT_OVERHEAD);
    assert.equal(CIPHERTEXT_OVERHEAD, 1 + 16 + 4 + 32 + 12 + 16);
    assert.equal(blob[0], CIPHERTEXT_FORMAT);
    assert.equal(blob.subarray(1, 17).toString('hex'), HEADER.keyId.replace(/-/g, ''));
    assert.equal(blob.readUInt32BE(17), 3);
    assert.deepEqual(parseBlob(blob), HEADER);
    assert.ok(!blob.includes(PLAIN), 'the plaintext does not appear in the blob');
  });

  it('round-trips, and every blob is different (fresh salt and nonce)', () => {
    const a = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    const b = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    assert.notDeepEqual(a, b);
    assert.deepEqual(decryptBlob(MATERIAL, a, CONTEXT), PLAIN);
    assert.deepEqual(decryptBlob(MATERIAL, b, CONTEXT), PLAIN);
  });

  it('binds the encryption context: same pairs in any order open it, any other context does not', () => {
    const blob = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    assert.deepEqual(decryptBlob(MATERIAL, blob, { purpose: 'test', 'aws:s3:arn': 'arn:aws:s3:::bucket/key' }), PLAIN);
    assert.equal(decryptBlob(MATERIAL, blob, {}), undefined);
    assert.equal(decryptBlob(MATERIAL, blob, { ...CONTEXT, purpose: 'other' }), undefined);
    assert.equal(decryptBlob(MATERIAL, blob, { ...CONTEXT, extra: '' }), undefined);
    assert.equal(decryptBlob(MATERIAL, blob, { 'aws:s3:arn': CONTEXT['aws:s3:arn'] }), undefined);
    const empty = encryptBlob(MATERIAL, HEADER, PLAIN, {});
    assert.deepEqual(decryptBlob(MATERIAL, empty, {}), PLAIN);
    assert.equal(decryptBlob(MATERIAL, empty, { a: 'b' }), undefined);
  });

  it('canonicalises so that shifting characters between key and value changes the bytes', () => {
    assert.notDeepEqual(canonicalContext({ ab: 'c' }), canonicalContext({ a: 'bc' }));
    assert.notDeepEqual(canonicalContext({ a: 'b', c: 'd' }), canonicalContext({ a: 'bcd' }));
    assert.deepEqual(canonicalContext({ b: '2', a: '1' }), canonicalContext({ a: '1', b: '2' }));
  });

  it('fails on a flipped bit anywhere, a truncation, an extension or the wrong material', () => {
    const blob = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i]! ^= 0x01;
      assert.equal(decryptBlob(MATERIAL, bad, CONTEXT), undefined, `flipped byte ${i}`);
    }
    assert.equal(decryptBlob(MATERIAL, blob.subarray(0, blob.length - 1), CONTEXT), undefined);
    assert.equal(decryptBlob(MATERIAL, Buffer.concat([blob, Buffer.from([0])]), CONTEXT), undefined);
    assert.equal(decryptBlob(Buffer.alloc(32, 8), blob, CONTEXT), undefined);
  });

  it('does not parse blobs of another format or too short to be one', () => {
    const blob = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    const other = Buffer.from(blob);
    other[0] = 2;
    assert.equal(parseBlob(other), undefined);
    assert.equal(parseBlob(blob.subarray(0, CIPHERTEXT_OVERHEAD - 1)), undefined);
    assert.equal(parseBlob(Buffer.alloc(0)), undefined);
  });

  it('is bound to the key id and version in its header (moving it onto another version fails)', () => {
    const blob = encryptBlob(MATERIAL, HEADER, PLAIN, CONTEXT);
    const moved = Buffer.from(blob);
    moved.writeUInt32BE(4, 17);
    assert.equal(decryptBlob(MATERIAL, moved, CONTEXT), undefined);
  });
});
