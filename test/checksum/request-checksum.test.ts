import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestDigests, parseTrailerHeader } from '../../src/checksum/request-checksum.js';
import { isS3Error } from './helpers.js';

const CRC32_OF_123456789 = 'y/Q5Jg==';
const MULTIPLE = 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.';
const SDK_INVALID = 'Value for x-amz-sdk-checksum-algorithm header is invalid.';
const SDK_ORPHAN =
  'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.';

describe('x-amz-checksum-* headers', () => {
  it('decodes a valid header', () => {
    const r = parseRequestDigests({ 'x-amz-checksum-crc32': CRC32_OF_123456789 });
    assert.deepEqual(r.checksum, {
      algorithm: 'CRC32',
      source: 'header',
      expected: Buffer.from('cbf43926', 'hex'),
    });
    assert.equal(r.md5, undefined);
  });
  it('nothing announced → undefined', () => {
    assert.deepEqual(parseRequestDigests({}), { checksum: undefined, md5: undefined });
  });
  it('ignores x-amz-checksum-type, -mode and -algorithm', () => {
    const r = parseRequestDigests({
      'x-amz-checksum-type': 'FULL_OBJECT',
      'x-amz-checksum-mode': 'ENABLED',
      'x-amz-checksum-algorithm': 'CRC32',
    });
    assert.equal(r.checksum, undefined);
  });
  const bad: [string, string][] = [
    ['x-amz-checksum-crc32', 'not base64!'],
    ['x-amz-checksum-crc32', 'AAAAAAA='], // 5 bytes
    ['x-amz-checksum-crc32', 'AAAA'], // 3 bytes
    ['x-amz-checksum-crc32', ''],
    ['x-amz-checksum-crc32c', 'AAAAAAAAAAA='], // 8 bytes for a 4-byte CRC
    ['x-amz-checksum-crc64nvme', 'AAAAAA=='],
    ['x-amz-checksum-sha1', 'AAAAAA=='],
    ['x-amz-checksum-sha256', '98O8HYCOBHMq32eZZczDTKeuNEE='], // a SHA1 value
  ];
  for (const [name, value] of bad) {
    it(`${name}: ${JSON.stringify(value)} → InvalidRequest`, () => {
      assert.throws(() => parseRequestDigests({ [name]: value }), isS3Error('InvalidRequest', `Value for ${name} header is invalid.`));
    });
  }
  it('accepts each algorithm with the right length', () => {
    for (const [name, value, alg] of [
      ['x-amz-checksum-crc32c', '4waSgw==', 'CRC32C'],
      ['x-amz-checksum-crc64nvme', 'rosUhgp5mIg=', 'CRC64NVME'],
      ['x-amz-checksum-sha1', '98O8HYCOBHMq32eZZczDTKeuNEE=', 'SHA1'],
      ['x-amz-checksum-sha256', 'FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=', 'SHA256'],
    ] as const) {
      assert.equal(parseRequestDigests({ [name]: value }).checksum?.algorithm, alg);
    }
  });
  it('two different checksum headers → InvalidRequest', () => {
    assert.throws(
      () => parseRequestDigests({ 'x-amz-checksum-crc32': CRC32_OF_123456789, 'x-amz-checksum-crc32c': '4waSgw==' }),
      isS3Error('InvalidRequest', MULTIPLE),
    );
  });
  it('a checksum header and a checksum trailer together → InvalidRequest', () => {
    assert.throws(
      () =>
        parseRequestDigests({
          'x-amz-checksum-sha1': '98O8HYCOBHMq32eZZczDTKeuNEE=',
          'x-amz-trailer': 'x-amz-checksum-crc64nvme',
        }),
      isS3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header'),
    );
  });
  it('an algorithm Strongbox cannot verify is refused, not ignored', () => {
    assert.throws(() => parseRequestDigests({ 'x-amz-checksum-xxhash64': 'AAAAAAAAAAA=' }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'NotImplemented');
      return true;
    });
  });
});

describe('x-amz-trailer', () => {
  it('names the trailer algorithm', () => {
    assert.deepEqual(parseRequestDigests({ 'x-amz-trailer': 'x-amz-checksum-crc64nvme' }).checksum, {
      algorithm: 'CRC64NVME',
      source: 'trailer',
    });
  });
  it('uses the declared trailers given by the auth layer when passed', () => {
    assert.equal(parseRequestDigests({}, ['x-amz-checksum-sha256']).checksum?.algorithm, 'SHA256');
  });
  it('is parsed case-insensitively, comma separated', () => {
    assert.deepEqual(parseTrailerHeader(' X-Amz-Checksum-CRC32 , '), ['x-amz-checksum-crc32']);
  });
  it('a trailer that is not a checksum → InvalidRequest', () => {
    assert.throws(
      () => parseRequestDigests({ 'x-amz-trailer': 'x-amz-meta-foo' }),
      isS3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported'),
    );
  });
  it('two checksum trailers → InvalidRequest', () => {
    assert.throws(
      () => parseRequestDigests({ 'x-amz-trailer': 'x-amz-checksum-crc32,x-amz-checksum-sha1' }),
      isS3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported'),
    );
  });
});

describe('x-amz-sdk-checksum-algorithm', () => {
  it('agrees with the header', () => {
    const r = parseRequestDigests({ 'x-amz-sdk-checksum-algorithm': 'crc32', 'x-amz-checksum-crc32': CRC32_OF_123456789 });
    assert.equal(r.checksum?.algorithm, 'CRC32');
  });
  it('agrees with the trailer', () => {
    const r = parseRequestDigests({ 'x-amz-sdk-checksum-algorithm': 'CRC32C', 'x-amz-trailer': 'x-amz-checksum-crc32c' });
    assert.equal(r.checksum?.source, 'trailer');
  });
  it('differs from the header → InvalidRequest', () => {
    assert.throws(
      () => parseRequestDigests({ 'x-amz-sdk-checksum-algorithm': 'SHA256', 'x-amz-checksum-crc32': CRC32_OF_123456789 }),
      isS3Error('InvalidRequest', SDK_INVALID),
    );
  });
  it('differs from the trailer → InvalidRequest', () => {
    assert.throws(
      () => parseRequestDigests({ 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-trailer': 'x-amz-checksum-crc64nvme' }),
      isS3Error('InvalidRequest', SDK_INVALID),
    );
  });
  it('with neither header nor trailer → InvalidRequest', () => {
    assert.throws(() => parseRequestDigests({ 'x-amz-sdk-checksum-algorithm': 'CRC32' }), isS3Error('InvalidRequest', SDK_ORPHAN));
  });
});

describe('Content-MD5', () => {
  it('decodes base64 of 16 bytes', () => {
    const r = parseRequestDigests({ 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==' });
    assert.equal(r.md5?.toString('hex'), '5d41402abc4b2a76b9719d911017c592');
  });
  for (const value of ['', 'abc', 'XUFAKrxLKna5cZ2REBfF', 'XUFAKrxLKna5cZ2REBfFkgAA', '5d41402abc4b2a76b9719d911017c592', '!UFAKrxLKna5cZ2REBfFkg==']) {
    it(`${JSON.stringify(value)} → InvalidDigest`, () => {
      assert.throws(() => parseRequestDigests({ 'content-md5': value }), (e: unknown) => {
        isS3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.')(e);
        assert.equal((e as { fields: Record<string, unknown> }).fields['Content-MD5'], value);
        return true;
      });
    });
  }
  it('comes back together with a checksum', () => {
    const r = parseRequestDigests({ 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==', 'x-amz-checksum-crc32': CRC32_OF_123456789 });
    assert.ok(r.md5 !== undefined && r.checksum !== undefined);
  });
});
