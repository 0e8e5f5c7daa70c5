import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError } from '../../../src/client/client-error.js';
import { parseS3Url } from '../../../src/client/s3-url.js';
import { directionOf, downloadPath, folderPrefix, joinLocal, recursiveDownloadPath, recursiveUploadTarget, uploadKey } from '../../../src/client/transfer/transfer-plan.js';

const usage = (err: unknown) => err instanceof ClientError && err.code === 'STRONGBOX_CLIENT_USAGE';

describe('cp: where files go', () => {
  it('uploads local → S3 and downloads S3 → local, nothing else', () => {
    assert.equal(directionOf('./a.txt', 's3://b/a.txt'), 'upload');
    assert.equal(directionOf('s3://b/a.txt', 'a.txt'), 'download');
    assert.throws(() => directionOf('s3://b/a', 's3://c/a'), (e) => usage(e) && /S3 to S3/.test((e as Error).message));
    assert.throws(() => directionOf('a', 'b'), usage);
    assert.throws(() => directionOf('-', 's3://b/a'), usage);
  });

  it('uploads one file to a key, or into a folder under its own name', () => {
    assert.equal(uploadKey(parseS3Url('s3://b/x/y.txt'), './a.txt'), 'x/y.txt');
    assert.equal(uploadKey(parseS3Url('s3://b/x/'), './dir/a.txt'), 'x/a.txt');
    assert.equal(uploadKey(parseS3Url('s3://b/'), 'a.txt'), 'a.txt');
    assert.equal(uploadKey(parseS3Url('s3://b'), '/tmp/a.txt'), 'a.txt');
  });

  it('puts a recursive upload below DST as a folder', () => {
    assert.equal(folderPrefix(parseS3Url('s3://b')), '');
    assert.equal(folderPrefix(parseS3Url('s3://b/pre')), 'pre/');
    assert.equal(folderPrefix(parseS3Url('s3://b/pre/')), 'pre/');
    assert.deepEqual(recursiveUploadTarget(parseS3Url('s3://b/pre'), 'sub/a.txt'), { bucket: 'b', key: 'pre/sub/a.txt' });
  });

  it('downloads one object to a file, or into a folder under its last name', () => {
    const src = parseS3Url('s3://b/dir/k.bin');
    assert.equal(downloadPath('out.bin', false, src), 'out.bin');
    assert.equal(downloadPath('out/', false, src), 'out/k.bin');
    assert.equal(downloadPath('.', true, src), './k.bin');
    assert.throws(() => downloadPath('out', false, parseS3Url('s3://b/dir/')), (e) => usage(e) && /--recursive/.test((e as Error).message));
  });

  it('never lets a key leave the destination folder in a recursive download', () => {
    assert.equal(recursiveDownloadPath('out', 'pre/', 'pre/a/b.txt'), 'out/a/b.txt');
    assert.equal(recursiveDownloadPath('out/', '', 'a.txt'), 'out/a.txt');
    for (const key of ['pre/../../etc/passwd', 'pre/a/../b', 'pre/./a', 'pre/a//b', 'pre//a', 'pre/..']) {
      const r = recursiveDownloadPath('out', 'pre/', key);
      assert.ok(typeof r !== 'string' && /not a safe local file name/.test(r.skip), `${key} → ${JSON.stringify(r)}`);
    }
    assert.deepEqual(recursiveDownloadPath('out', 'pre/', 'pre/dir/'), { skip: 'it is a folder marker' });
    assert.deepEqual(recursiveDownloadPath('out', 'pre/', 'pre/'), { skip: 'it is the prefix itself' });
  });

  it('joins local paths as typed', () => {
    assert.equal(joinLocal('.', 'a'), './a');
    assert.equal(joinLocal('dir/', 'a/b'), 'dir/a/b');
  });
});
