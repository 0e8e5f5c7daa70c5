import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { customerKey } from '../../src/client/customer-key.js';
import { bucketLine, displayName, formatListDate, keyColumn, objectLine, prefixLine } from '../../src/client/object-listing.js';
import { checksumIn } from '../../src/client/transfer/transfer-checksum.js';

const KEY = customerKey('prod', Buffer.alloc(32, 7));
const WHEN = new Date('2026-01-02T03:04:05.678Z');

describe('ls lines', () => {
  it('names the key that opens an SSE-C object, or says none does', () => {
    assert.equal(keyColumn({ kind: 'sse-c', opener: KEY }, [KEY]), 'key: prod');
    assert.equal(keyColumn({ kind: 'sse-c', opener: undefined }, [KEY]), 'key: none of the given keys');
    assert.equal(keyColumn({ kind: 'sse-c', opener: undefined }, []), 'key: ?');
    assert.equal(keyColumn({ kind: 'sse-s3' }, [KEY]), '-');
  });

  it('prints tab-separated columns, never the key itself', () => {
    const line = objectLine({ lastModified: WHEN, size: 42, name: 'a.txt' }, { kind: 'sse-c', opener: KEY }, [KEY]);
    assert.equal(line, '2026-01-02T03:04:05Z\t42\tSSE-C\tkey: prod\ta.txt');
    assert.ok(!line.includes(KEY.key.toString('base64')) && !line.includes(KEY.key.toString('hex')));
    assert.equal(objectLine({ lastModified: WHEN, size: 1, name: 'k' }, { kind: 'sse-kms', kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/x' }, []), '2026-01-02T03:04:05Z\t1\tSSE-KMS arn:aws:kms:us-east-1:000000000000:key/x\t-\tk');
    assert.equal(objectLine({ lastModified: WHEN, size: 1, name: 'k' }, { error: 'HEAD s3://b/k: AccessDenied (403)' }, []), '2026-01-02T03:04:05Z\t1\t?\terror: HEAD s3://b/k: AccessDenied (403)\tk');
    assert.equal(prefixLine('dir/'), '\t\tPRE\t\tdir/');
    assert.equal(bucketLine('b', WHEN), '2026-01-02T03:04:05Z\tb');
    assert.equal(formatListDate(WHEN), '2026-01-02T03:04:05Z');
  });

  it('shows names below the listed folder, or whole keys with --recursive', () => {
    assert.equal(displayName('dir/sub/a.txt', 'dir/', false), 'sub/a.txt');
    assert.equal(displayName('dir/a.txt', 'dir/a', false), 'a.txt');
    assert.equal(displayName('a.txt', '', false), 'a.txt');
    assert.equal(displayName('dir/sub/a.txt', 'dir/', true), 'dir/sub/a.txt');
  });
});

describe('checksums in SDK answers', () => {
  it('reads the algorithm, value and type, inferring COMPOSITE from a -N suffix', () => {
    assert.deepEqual(checksumIn({ ChecksumCRC64NVME: 'AAAAAAAAAAA=', ChecksumType: 'FULL_OBJECT' }), { algorithm: 'CRC64NVME', type: 'FULL_OBJECT', value: 'AAAAAAAAAAA=' });
    assert.deepEqual(checksumIn({ ChecksumCRC32: 'yGsvJQ==-5' }), { algorithm: 'CRC32', type: 'COMPOSITE', value: 'yGsvJQ==-5' });
    assert.deepEqual(checksumIn({ ChecksumSHA256: 'x' }), { algorithm: 'SHA256', type: 'FULL_OBJECT', value: 'x' });
    assert.equal(checksumIn({}), undefined);
  });
});
