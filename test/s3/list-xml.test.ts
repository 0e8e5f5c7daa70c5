import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderXml } from '../../src/server/xml.js';
import { contentsNode } from '../../src/s3/list.js';
import { urlEncodeKey } from '../../src/s3/list-page.js';

const summary = {
  key: 'a b&c',
  size: 3,
  etag: '"900150983cd24fb0d6963f7d28e17f72"',
  lastModified: new Date('2026-01-02T03:04:05.678Z'),
  storageClass: 'STANDARD',
  owner: 'alice',
  checksumAlgorithm: 'CRC64NVME',
  checksumType: 'FULL_OBJECT',
} as const;

test('Contents: escaped key, seconds-precision LastModified, checksum, owner', () => {
  const xml = renderXml('ListBucketResult', { Contents: [contentsNode(summary, (s) => s, true)] });
  assert.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Contents>' +
      '<Key>a b&amp;c</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>' +
      '<ETag>&quot;900150983cd24fb0d6963f7d28e17f72&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>' +
      '<ChecksumType>FULL_OBJECT</ChecksumType><Size>3</Size><Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner>' +
      '<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>',
  );
});

test('Contents: url-encoded key, no owner, no checksum', () => {
  const { checksumAlgorithm: _a, checksumType: _t, ...plain } = summary;
  const xml = renderXml('R', { Contents: contentsNode(plain, urlEncodeKey, false) });
  assert.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Contents><Key>a%20b%26c</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>' +
      '<ETag>&quot;900150983cd24fb0d6963f7d28e17f72&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents></R>',
  );
});
