import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHECKSUM_XML_ELEMENT,
  checksumHeaders,
  checksumModeEnabled,
  checksumXml,
  checksumXmlFields,
} from '../../src/checksum/response-headers.js';
import { CHECKSUM_ALGORITHMS } from '../../src/checksum/types.js';

describe('response headers and XML', () => {
  const c = { algorithm: 'CRC64NVME', type: 'FULL_OBJECT', value: 'rosUhgp5mIg=' } as const;
  it('renders x-amz-checksum-<alg> and x-amz-checksum-type', () => {
    assert.deepEqual(checksumHeaders(c), { 'x-amz-checksum-crc64nvme': 'rosUhgp5mIg=', 'x-amz-checksum-type': 'FULL_OBJECT' });
    assert.deepEqual(checksumHeaders(c, false), { 'x-amz-checksum-crc64nvme': 'rosUhgp5mIg=' });
  });
  it('keeps composite values as they are', () => {
    const comp = { algorithm: 'SHA256', type: 'COMPOSITE', value: 'abc=-3' } as const;
    assert.deepEqual(checksumHeaders(comp), { 'x-amz-checksum-sha256': 'abc=-3', 'x-amz-checksum-type': 'COMPOSITE' });
  });
  it('names the XML elements', () => {
    assert.deepEqual(
      CHECKSUM_ALGORITHMS.map((a) => CHECKSUM_XML_ELEMENT[a]),
      ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'],
    );
    assert.deepEqual(checksumXmlFields(c), { ChecksumCRC64NVME: 'rosUhgp5mIg=', ChecksumType: 'FULL_OBJECT' });
    assert.deepEqual(checksumXml(c), { ChecksumCRC64NVME: 'rosUhgp5mIg=' });
  });
  it('reads x-amz-checksum-mode', () => {
    assert.equal(checksumModeEnabled('ENABLED'), true);
    assert.equal(checksumModeEnabled('enabled'), true);
    assert.equal(checksumModeEnabled(undefined), false);
    assert.equal(checksumModeEnabled('DISABLED'), false);
  });
});
