import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, renderXml } from '../../src/server/xml.js';
import { parseRequestXml } from '../../src/server/xml-request.js';

test('escapeXml writes the markup characters as entities and CR as a reference, so parsers keep it', () => {
  assert.equal(escapeXml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
  assert.equal(escapeXml('cr\rlf\ntab\t'), 'cr&#xD;lf\ntab\t');
  assert.equal(escapeXml('plain é 日本 😀'), 'plain é 日本 😀');
  // Characters XML 1.0 cannot carry come out as references, as Amazon writes them (encoding-type=url is the cure).
  assert.equal(escapeXml('\u0001\u001f\ufffe\uffff'), '&#x1;&#x1F;&#xFFFE;&#xFFFF;');
});

test('every key XML 1.0 can carry reads back exactly from a rendered document', () => {
  const alphabet = ['a', '/', ' ', '&', '<', '>', '"', "'", '\r', '\n', '\t', '%', '+', 'é', '日', '😀', ']]>', '&amp;', '&#34;', '\u0085', '\u2028'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 500; i++) {
    const key = Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('');
    const doc = renderXml('Delete', { Object: { Key: key } });
    assert.equal(parseRequestXml(Buffer.from(doc), 'Delete').child('Object')?.textOf('Key'), key, JSON.stringify(key));
  }
});
