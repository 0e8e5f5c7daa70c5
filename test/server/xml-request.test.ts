/**
 * The request-document reader, tested for what XML 1.0 and Amazon S3 say rather than for
 * the parser library's defaults (issue 13).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseRequestXml, parseXmlBoolean, readSmallBody, type XmlElement } from '../../src/server/xml-request.js';

const MALFORMED = { code: 'MalformedXML', status: 400 };
const parse = (doc: string | Buffer, root = 'Delete'): XmlElement => parseRequestXml(typeof doc === 'string' ? Buffer.from(doc) : doc, root);
const keyOf = (doc: string | Buffer): string | undefined => parse(doc).child('Object')?.textOf('Key');
const deleteDoc = (keyXml: string): string => `<Delete><Object><Key>${keyXml}</Key></Object></Delete>`;

test('character references are decoded: decimal, hex, and &#13; keeps its carriage return', () => {
  // Exactly what Go's encoding/xml writes for a quoted ETag and for ' & < > and control characters.
  assert.equal(keyOf(deleteDoc('&#34;15c83d65&#34;')), '"15c83d65"');
  assert.equal(keyOf(deleteDoc('q/it&#39;s.txt')), "q/it's.txt");
  assert.equal(keyOf(deleteDoc('q/a&#38;b.txt')), 'q/a&b.txt');
  assert.equal(keyOf(deleteDoc('&#x22;&#x27;&#x3C;&#x3e;')), `"'<>`);
  assert.equal(keyOf(deleteDoc('a&#xD;b&#13;&#10;c&#x9;d')), 'a\rb\r\nc\td');
  assert.equal(keyOf(deleteDoc('&#233;&#x65E5;&#x1F600;')), 'é日😀');
});

test('the five predefined entities and no others', () => {
  assert.equal(keyOf(deleteDoc('&quot;&apos;&amp;&lt;&gt;')), `"'&<>`);
  for (const ref of ['&nbsp;', '&copy;', '&eacute;', '&undefined;', '&amp', '&#;', '&#x;', '&#xZZ;', '&#0;', '&#1;', '&#x1F;', '&#X27;', '&#xFFFE;', '&#xD800;', '&#x110000;']) {
    assert.throws(() => parse(deleteDoc(ref)), MALFORMED, ref);
  }
  // A lone ampersand or < is not well-formed either.
  assert.throws(() => parse(deleteDoc('a&b')), MALFORMED);
  assert.throws(() => parse(deleteDoc('a<b')), MALFORMED);
});

test('a literal CR or CRLF becomes LF, as XML 1.0 §2.11 and Amazon do', () => {
  assert.equal(keyOf(deleteDoc('a\r\nb\rc\nd')), 'a\nb\nc\nd');
  assert.equal(keyOf(deleteDoc('a\r&#13;b')), 'a\n\rb');
});

test('CDATA sections are text, taken literally', () => {
  assert.equal(keyOf(deleteDoc('<![CDATA[a<b>&amp;&#34;]]>')), 'a<b>&amp;&#34;');
  assert.equal(keyOf(deleteDoc('x<![CDATA[ & ]]>y&#34;')), 'x & y"');
});

test('an XML declaration, a UTF-8 BOM, comments, processing instructions and whitespace between elements', () => {
  const doc = `\ufeff<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<!-- a comment -->\n<?pi data?>
<Delete>\n  <Quiet>true</Quiet>\n  <Object>\n    <Key> spaced key </Key>\n  </Object>\n</Delete>\n`;
  const root = parse(doc);
  assert.equal(root.textOf('Quiet'), 'true');
  assert.equal(root.child('Object')?.textOf('Key'), ' spaced key ');
  assert.equal(root.text, '');
});

test('namespaces: the default namespace and declared prefixes read by local name; an undeclared prefix is refused', () => {
  const ns = 'http://s3.amazonaws.com/doc/2006-03-01/';
  assert.equal(keyOf(`<Delete xmlns="${ns}"><Object><Key>k</Key></Object></Delete>`), 'k');
  assert.equal(keyOf(`<s3:Delete xmlns:s3="${ns}"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>`), 'k');
  assert.throws(() => parse('<Delete><s3:Object><Key>k</Key></s3:Object></Delete>'), MALFORMED);
});

test('a DOCTYPE is refused, whatever it declares: no entity is ever expanded', () => {
  for (const doc of [
    '<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>',
    '<!DOCTYPE Delete [<!ENTITY e "zz">]><Delete><Object><Key>&e;</Key></Object></Delete>',
    '<!DOCTYPE Delete [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>',
    '<!DOCTYPE Delete SYSTEM "http://127.0.0.1:1/x.dtd"><Delete><Object><Key>k</Key></Object></Delete>',
    // billion laughs
    `<!DOCTYPE Delete [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${`&${i === 0 ? 'a' : 'b'.repeat(i)};`.repeat(10)}">`).join('')}]><Delete><Object><Key>&bbbbbbbbb;</Key></Object></Delete>`,
  ]) {
    assert.throws(() => parse(doc), MALFORMED, doc.slice(0, 60));
  }
});

test('bodies that are not well-formed are MalformedXML', () => {
  for (const doc of [
    '',
    '   ',
    'not xml',
    '<Delete>',
    '<Delete><Object><Key>k</Key></Object>',
    '<Delete><Object><Key>k</Object></Key></Delete>',
    '<Delete></Delete><Delete></Delete>',
    '<Delete/>trailing',
    '<Delete a="1" a="2"/>',
    '<Delete>]]></Delete>',
    '<Delete>\u0001</Delete>',
    '<?xml version="1.0"?><?xml version="1.0"?><Delete/>',
  ]) {
    assert.throws(() => parse(doc), MALFORMED, JSON.stringify(doc));
  }
});

test('the root element must be the operation’s', () => {
  assert.equal(parse('<Delete/>').name, 'Delete');
  assert.throws(() => parse('<CompleteMultipartUpload/>'), MALFORMED);
  assert.throws(() => parse('<delete/>'), MALFORMED);
});

test('only UTF-8: invalid sequences, UTF-16 and other declared encodings are refused', () => {
  const valid = Buffer.from(deleteDoc('é'));
  assert.equal(keyOf(valid), 'é');
  for (const bad of [
    Buffer.concat([Buffer.from('<Delete><Object><Key>'), Buffer.from([0xc3]), Buffer.from('</Key></Object></Delete>')]),
    Buffer.concat([Buffer.from('<Delete><Object><Key>'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('</Key></Object></Delete>')]),
    Buffer.concat([Buffer.from('<Delete><Object><Key>'), Buffer.from([0xff]), Buffer.from('</Key></Object></Delete>')]),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<Delete/>', 'utf16le')]),
    Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><Delete/>'),
  ]) {
    assert.throws(() => parse(bad), MALFORMED, bad.toString('hex').slice(0, 40));
  }
});

test('an XML 1.1 declaration does not let in the control characters only XML 1.1 allows', () => {
  assert.throws(() => parse('<?xml version="1.1"?><Delete><Object><Key>&#1;</Key></Object></Delete>'), MALFORMED);
});

test('text mixed among child elements, or elements where text belongs, do not fit any S3 schema', () => {
  assert.throws(() => parse('<Delete>junk<Object><Key>k</Key></Object></Delete>'), MALFORMED);
  assert.throws(() => parse('<Delete><Object><Key>k</Key></Object><![CDATA[x]]></Delete>'), MALFORMED);
  assert.throws(() => parse('<Delete><Object><Key><b>k</b></Key></Object></Delete>').child('Object')?.textOf('Key'), MALFORMED);
});

test('caps on nesting depth and element count', () => {
  const nested = (depth: number): string => `<Delete>${'<a>'.repeat(depth - 1)}${'</a>'.repeat(depth - 1)}</Delete>`;
  assert.equal(parseRequestXml(Buffer.from(nested(32)), 'Delete').name, 'Delete');
  assert.throws(() => parse(nested(33)), MALFORMED);
  assert.throws(() => parseRequestXml(Buffer.from(nested(5)), 'Delete', { maxDepth: 4, maxElements: 100 }), MALFORMED);
  const wide = (n: number): string => `<Delete>${'<a/>'.repeat(n - 1)}</Delete>`;
  assert.equal(parseRequestXml(Buffer.from(wide(100)), 'Delete', { maxDepth: 4, maxElements: 100 }).children.length, 99);
  assert.throws(() => parseRequestXml(Buffer.from(wide(101)), 'Delete', { maxDepth: 4, maxElements: 100 }), MALFORMED);
  // The default fits CompleteMultipartUpload's 10,000 parts with a checksum each (40,001 elements).
  const parts = Array.from({ length: 10_000 }, (_, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>&#34;e&#34;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>`);
  assert.equal(parse(`<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`, 'CompleteMultipartUpload').all('Part').length, 10_000);
  assert.throws(() => parse(`<Delete>${'<a/>'.repeat(100_000)}</Delete>`), MALFORMED);
});

test('xs:boolean values', () => {
  assert.equal(parseXmlBoolean(undefined), false);
  for (const t of ['true', '1', ' true\n']) assert.equal(parseXmlBoolean(t), true, t);
  for (const t of ['false', '0', '\tfalse ']) assert.equal(parseXmlBoolean(t), false, t);
  for (const t of ['', 'TRUE', 'yes', '\u00a0true']) assert.throws(() => parseXmlBoolean(t), MALFORMED, t);
});

test('a body over its cap is MaxMessageLengthExceeded, and the stream is not read to the end', async () => {
  assert.equal((await readSmallBody(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 20)).length, 20);
  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled += 1;
      this.push(Buffer.alloc(1024));
    },
  });
  await assert.rejects(readSmallBody(endless, 4096), { code: 'MaxMessageLengthExceeded', status: 400 });
  assert.ok(pulled < 64, `read ${pulled} chunks`);
  assert.ok(endless.destroyed);
});
