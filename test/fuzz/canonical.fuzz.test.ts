/**
 * The SigV4 canonical forms (src/auth/canonical-*.ts, uri-encode.ts): they take any bytes a
 * client sends, never throw, are idempotent, and agree with an independent encoder.
 */
import assert from 'node:assert/strict';
import { canonicalHeaders } from '../../src/auth/canonical-headers.js';
import { canonicalQuery, decodeQuery, splitQuery } from '../../src/auth/canonical-query.js';
import { canonicalUri } from '../../src/auth/canonical-request.js';
import { canonicalizeEncoded, percentDecode, percentDecodeBytes, uriEncode } from '../../src/auth/uri-encode.js';
import { rfc3986 } from '../auth/helpers.js';
import { anyString, fc, fuzz, tokens, unicodeString } from './harness.js';

const CANONICAL = /^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/;

/** Raw (still encoded) components: escapes good and broken, reserved characters, anything. */
const rawComponent = fc.oneof(
  tokens(['%', '%2', '%20', '%2F', '%7e', '%7E', '%zz', '%C3%A9', '%E2%82', '%FF', '+', '~', '!', '*', '/', '=', '&', 'a', 'é', '😀', ' '], 16),
  anyString(32),
);

fuzz('uri-encode: canonicalizing any component gives RFC 3986 form and is idempotent', rawComponent, (raw) => {
  const once = canonicalizeEncoded(raw);
  assert.match(once, CANONICAL);
  assert.equal(canonicalizeEncoded(once), once);
  assert.ok(percentDecodeBytes(raw).length <= Buffer.byteLength(raw, 'utf8'));
});

fuzz('uri-encode: encoding agrees with encodeURIComponent (RFC 3986) and decodes back', unicodeString(40), (s) => {
  const encoded = uriEncode(s);
  assert.equal(encoded, rfc3986(s));
  assert.equal(percentDecode(encoded), s);
  assert.equal(canonicalizeEncoded(encoded), encoded);
});

fuzz('canonical URI: keeps every / and is idempotent', fc.array(rawComponent, { maxLength: 5 }).map((segs) => segs.join('/')), (path) => {
  const uri = canonicalUri(path);
  assert.equal(canonicalUri(uri), uri);
  if (path !== '') assert.equal(uri.split('/').length, path.split('/').length);
});

const rawQuery = fc.array(fc.tuple(rawComponent, fc.option(rawComponent, { nil: undefined })), { maxLength: 6 });

fuzz('canonical query: independent of parameter order; splitQuery reads back what was joined', fc.tuple(rawQuery, fc.nat()), ([pairs, seed]) => {
  const wire = pairs.map(([n, v]) => (v === undefined ? n : `${n}=${v}`));
  const text = wire.join('&');
  const params = splitQuery(text);
  const canonical = canonicalQuery(params);
  // A rotation of the parameter list canonicalizes alike.
  const k = wire.length === 0 ? 0 : seed % wire.length;
  const rotated = splitQuery([...wire.slice(k), ...wire.slice(0, k)].join('&'));
  assert.equal(canonicalQuery(rotated), canonical);
  for (const pair of canonical === '' ? [] : canonical.split('&')) assert.match(pair, /^[A-Za-z0-9\-._~%]*=[A-Za-z0-9\-._~%]*$/);
  decodeQuery(params);
  assert.ok(!canonicalQuery(params, 'X-Amz-Signature').includes('X-Amz-Signature='));
});

fuzz(
  'canonical query: random parameters encoded as the SDKs do decode to themselves',
  fc.dictionary(unicodeString(12, 1), unicodeString(20), { maxKeys: 6 }),
  (query) => {
    const text = Object.entries(query).map(([n, v]) => `${rfc3986(n)}=${rfc3986(v)}`).join('&');
    assert.deepEqual(decodeQuery(splitQuery(text)), new Map(Object.entries(query)));
  },
);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
/** What node:http lets through: no CR, LF or NUL (latin1 bytes arrive as U+0080–U+00FF). */
const headerValue = fc.oneof(fc.stringMatching(/^[ \t!-~]{0,24}$/), anyString(16).filter((v) => !/[\r\n\0]/.test(v)));

fuzz(
  'canonical headers: rawHeaders and the merged object agree; runs of spaces and tabs collapse',
  fc.dictionary(headerName, headerValue, { minKeys: 1, maxKeys: 5 }),
  (headers) => {
    const names = Object.keys(headers).sort();
    const raw = Object.entries(headers).flat();
    const block = canonicalHeaders(names, { ...headers }, raw);
    assert.equal(canonicalHeaders(names, { ...headers }), block);
    const lines = block.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, names.length);
    lines.forEach((line, i) => {
      const value = line.slice(names[i]!.length + 1);
      assert.ok(line.startsWith(`${names[i]}:`));
      assert.ok(!/[ \t]{2}|^[ \t]|[ \t]$/.test(value), JSON.stringify(line));
    });
  },
);
