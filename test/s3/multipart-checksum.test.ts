import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashOf } from '../../src/checksum/algorithms.js';
import type { ChecksumAlgorithm, StoredChecksum } from '../../src/checksum/types.js';
import { multipartEtag, objectChecksum, uploadChecksumFrom } from '../../src/s3/multipart-checksum.js';

const md5hex = (s: string) => createHash('md5').update(s).digest('hex');

test('multipart ETag is the MD5 of the binary part MD5s, then -N', () => {
  const parts = [md5hex('part one'), md5hex('part two')];
  const expected = createHash('md5')
    .update(Buffer.concat(parts.map((h) => Buffer.from(h, 'hex'))))
    .digest('hex');
  assert.equal(multipartEtag(parts.map((h) => `"${h}"`)), `"${expected}-2"`);
  assert.equal(multipartEtag(parts), `"${expected}-2"`);
  // A single part of empty data (known value: md5 of md5('')).
  assert.equal(multipartEtag(['"d41d8cd98f00b204e9800998ecf8427e"']), '"59adb24ef3cdbe0297f05b395827453f-1"');
});

test('CreateMultipartUpload checksum headers: defaults and Amazon messages', () => {
  assert.deepEqual(uploadChecksumFrom({}), {});
  assert.deepEqual(uploadChecksumFrom({ 'x-amz-checksum-algorithm': 'crc32' }), { algorithm: 'CRC32', type: 'COMPOSITE' });
  assert.deepEqual(uploadChecksumFrom({ 'x-amz-checksum-algorithm': 'SHA256' }), { algorithm: 'SHA256', type: 'COMPOSITE' });
  assert.deepEqual(uploadChecksumFrom({ 'x-amz-checksum-algorithm': 'CRC64NVME' }), { algorithm: 'CRC64NVME', type: 'FULL_OBJECT' });
  assert.deepEqual(
    uploadChecksumFrom({ 'x-amz-checksum-algorithm': 'CRC32C', 'x-amz-checksum-type': 'FULL_OBJECT' }),
    { algorithm: 'CRC32C', type: 'FULL_OBJECT' },
  );
  const bad = (headers: Record<string, string>, message: string) =>
    assert.throws(() => uploadChecksumFrom(headers), { code: 'InvalidRequest', message });
  bad({ 'x-amz-checksum-type': 'COMPOSITE' }, 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
  bad(
    { 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'COMPOSITE' },
    'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.',
  );
  bad(
    { 'x-amz-checksum-algorithm': 'SHA256', 'x-amz-checksum-type': 'FULL_OBJECT' },
    'The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.',
  );
  bad(
    { 'x-amz-checksum-algorithm': 'MD5' },
    'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
  );
});

const stored = (alg: ChecksumAlgorithm, data: Buffer): StoredChecksum => ({
  algorithm: alg,
  type: 'FULL_OBJECT',
  value: hashOf(alg, data).toString('base64'),
});

test('FULL_OBJECT checksum combines the part CRCs into the CRC of the whole object', () => {
  const parts = [Buffer.from('hello, '), Buffer.alloc(0), Buffer.alloc(100_000, 7), Buffer.from('world')];
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    const c = objectChecksum(alg, 'FULL_OBJECT', parts.map((p) => ({ size: p.length, checksum: stored(alg, p) })));
    assert.deepEqual(c, { algorithm: alg, type: 'FULL_OBJECT', value: hashOf(alg, ...parts).toString('base64') });
  }
});

test('COMPOSITE checksum is the algorithm over the binary part digests, with -N', () => {
  const parts = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')];
  const digests = parts.map((p) => hashOf('SHA256', p));
  const c = objectChecksum('SHA256', 'COMPOSITE', parts.map((p) => ({ size: p.length, checksum: stored('SHA256', p) })));
  assert.deepEqual(c, {
    algorithm: 'SHA256',
    type: 'COMPOSITE',
    value: `${hashOf('SHA256', ...digests).toString('base64')}-3`,
  });
});

test('no object checksum when a part lacks one in the algorithm', () => {
  const a = Buffer.from('a');
  assert.equal(objectChecksum('CRC64NVME', 'FULL_OBJECT', [{ size: 1, checksum: stored('CRC64NVME', a) }, { size: 1 }]), undefined);
  assert.equal(objectChecksum('CRC64NVME', 'FULL_OBJECT', [{ size: 1, checksum: stored('CRC32', a) }]), undefined);
});
