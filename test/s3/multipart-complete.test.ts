import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PartRecord } from '../../src/store/meta/types.js';
import type { ChecksumAlgorithm } from '../../src/checksum/types.js';
import { parseCompleteRequest, selectParts } from '../../src/s3/multipart-complete.js';
import { parseCopyRange } from '../../src/s3/multipart.js';

const MiB = 1024 * 1024;
const part = (partNumber: number, size: number, etag: string, checksum?: PartRecord['checksum']): PartRecord => ({
  uploadId: 'u1',
  partNumber,
  size,
  etag: `"${etag}"`,
  lastModified: new Date(0),
  blob: { kind: 'inline', data: Buffer.alloc(0) },
  ...(checksum === undefined ? {} : { checksum }),
});

test('parses the part list; quotes on ETags are optional', () => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><PartNumber>1</PartNumber><ETag>&quot;aaa&quot;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
  <Part><ETag>bbb</ETag><PartNumber>2</PartNumber></Part>
</CompleteMultipartUpload>`;
  const parts = parseCompleteRequest(Buffer.from(doc));
  assert.equal(parts.length, 2);
  assert.deepEqual(parts.map((p) => [p.partNumber, p.etag]), [[1, 'aaa'], [2, 'bbb']]);
  assert.equal(parts[0]!.checksums.get('CRC32'), 'AAAAAA==');
  assert.equal(parts[1]!.checksums.size, 0);
});

test('a single part still parses as a list', () => {
  const parts = parseCompleteRequest(Buffer.from('<CompleteMultipartUpload><Part><PartNumber>3</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>'));
  assert.deepEqual(parts.map((p) => p.partNumber), [3]);
});

test('empty, malformed or incomplete documents are MalformedXML', () => {
  for (const doc of [
    '',
    '<CompleteMultipartUpload/>',
    '<CompleteMultipartUpload></CompleteMultipartUpload>',
    '<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>',
    '<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>',
  ]) {
    assert.throws(() => parseCompleteRequest(Buffer.from(doc)), { code: 'MalformedXML' }, doc);
  }
});

const req = (partNumber: number, etag: string, checksums: [ChecksumAlgorithm, string][] = []) => ({
  partNumber,
  etag,
  checksums: new Map(checksums),
});

test('selects the listed parts in order and checks order, ETags and sizes', () => {
  const stored = [part(1, 5 * MiB, 'a'), part(2, 5 * MiB, 'b'), part(3, 1, 'c')];
  const upload = { uploadId: 'u1' };
  assert.deepEqual(selectParts(upload, [req(1, 'a'), req(3, 'c')], stored).map((p) => p.partNumber), [1, 3]);
  assert.throws(() => selectParts(upload, [req(2, 'b'), req(1, 'a')], stored), { code: 'InvalidPartOrder' });
  // A part listed twice in a row counts once, with the last ETag given for it.
  assert.deepEqual(selectParts(upload, [req(1, 'zzz'), req(1, 'a')], stored).map((p) => p.partNumber), [1]);
  assert.throws(() => selectParts(upload, [req(1, 'zzz')], stored), (err: { code: string; fields: Record<string, unknown> }) => {
    assert.equal(err.code, 'InvalidPart');
    assert.deepEqual(err.fields, { UploadId: 'u1', PartNumber: 1, ETag: 'zzz' });
    return true;
  });
  assert.throws(() => selectParts(upload, [req(4, 'd')], stored), { code: 'InvalidPart' });
  assert.throws(() => selectParts(upload, [req(3, 'c'), req(4, 'd')], [...stored, part(4, 1, 'd')]), (err: { code: string; fields: Record<string, unknown> }) => {
    assert.equal(err.code, 'EntityTooSmall');
    assert.deepEqual(err.fields, { ProposedSize: 1, MinSizeAllowed: 5 * MiB, PartNumber: 3, ETag: 'c' });
    return true;
  });
});

test('part checksums: required when the upload has an algorithm, and must match', () => {
  const crc = { algorithm: 'CRC32', type: 'FULL_OBJECT', value: 'AAAAAA==' } as const;
  const stored = [part(1, 10, 'a', crc)];
  const upload = { uploadId: 'u1', checksumAlgorithm: 'CRC32' } as const;
  assert.equal(selectParts(upload, [req(1, 'a', [['CRC32', 'AAAAAA==']])], stored).length, 1);
  assert.throws(() => selectParts(upload, [req(1, 'a')], stored), {
    code: 'InvalidRequest',
    message: 'The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.',
  });
  assert.throws(() => selectParts(upload, [req(1, 'a', [['CRC32', 'AAAAAQ==']])], stored), { code: 'InvalidPart' });
  // No algorithm on the upload: a matching checksum is fine, a wrong one is not.
  assert.equal(selectParts({ uploadId: 'u1' }, [req(1, 'a', [['CRC32', 'AAAAAA==']])], stored).length, 1);
  assert.throws(() => selectParts({ uploadId: 'u1' }, [req(1, 'a', [['CRC32', 'AAAAAQ==']])], stored), { code: 'InvalidPart' });
});

test('x-amz-copy-source-range must be bytes=first-last inside the source', () => {
  assert.equal(parseCopyRange(undefined, 10), undefined);
  assert.deepEqual(parseCopyRange('bytes=0-9', 10), { start: 0, end: 9 });
  assert.deepEqual(parseCopyRange('bytes=3-3', 10), { start: 3, end: 3 });
  for (const bad of ['0-2', 'bytes=0', 'bytes=hello-world', 'bytes=0-bar', 'bytes=hello-', 'bytes=0-2,3-5', 'bytes=-1', 'bytes=1-', 'bytes=5-2']) {
    assert.throws(() => parseCopyRange(bad, 10), { code: 'InvalidArgument' }, bad);
  }
  assert.throws(() => parseCopyRange('bytes=0-10', 10), { code: 'InvalidRange' });
  assert.throws(() => parseCopyRange('bytes=0-0', 0), { code: 'InvalidRange' });
});
