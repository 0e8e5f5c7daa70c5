/**
 * x-amz-copy-source (src/s3/copy-source.ts `parseCopySource`, for CopyObject and
 * UploadPartCopy): any value names a bucket and a key, or is InvalidArgument; a source encoded
 * the way SDKs encode it reads back as the bucket and key it was built from.
 */
import assert from 'node:assert/strict';
import { parseCopySource } from '../../src/s3/copy-source.js';
import { rfc3986 } from '../auth/helpers.js';
import { anyString, fc, fuzz, s3Only, tokens, unicodeString } from './harness.js';

const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
const key = unicodeString(40, 1).filter((k) => k.length > 0);

fuzz(
  'copy source: an encoded bucket/key, with or without a leading slash and ?versionId=null, reads back',
  fc.record({
    bucket,
    key,
    slash: fc.boolean(),
    version: fc.constantFrom('', '?versionId=null', '?x=1&versionId=null'),
    // SDKs keep `/` between key segments; some clients encode it too.
    encodeSlash: fc.boolean(),
  }),
  ({ bucket: b, key: k, slash, version, encodeSlash }) => {
    const encoded = encodeSlash ? rfc3986(k) : k.split('/').map(rfc3986).join('/');
    const raw = `${slash ? '/' : ''}${b}/${encoded}${version}`;
    assert.deepEqual(parseCopySource(raw), { bucket: b, key: k });
  },
);

fuzz(
  'copy source: any value is a bucket and a key, or InvalidArgument',
  fc.oneof(tokens(['/', '%', '%2F', '%ED%A0%80', '%C3%A9', '?', 'versionId=', 'null', 'v1', '&', 'b', 'k', '%3F', ' ', 'é'], 16), anyString(40)),
  (raw) => {
    const r = s3Only(['InvalidArgument'], () => parseCopySource(raw));
    if (r !== undefined) {
      assert.ok(r.bucket !== '' && r.key !== '' && !r.bucket.includes('/'));
    }
  },
);
