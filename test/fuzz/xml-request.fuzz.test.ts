/**
 * Request documents: the one reader (src/server/xml-request.ts `parseRequestXml`) and the
 * operation parsers on top of it (CompleteMultipartUpload, PutBucketEncryption, xs:boolean).
 * Any bytes give a tree with the expected root or MalformedXML; documents rendered by
 * src/server/xml.ts `renderXml` from random names and texts read back exactly; the depth and
 * element caps hold, at random limits and at the real ones.
 */
import assert from 'node:assert/strict';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../../src/checksum/types.js';
import { CHECKSUM_XML_ELEMENT } from '../../src/checksum/response-headers.js';
import { parseCompleteRequest } from '../../src/s3/multipart-complete.js';
import { parseConfiguration } from '../../src/s3/bucket-encryption.js';
import { DEFAULT_XML_LIMITS, parseRequestXml, parseXmlBoolean, type XmlElement } from '../../src/server/xml-request.js';
import { renderXml, type XmlNode, type XmlValue } from '../../src/server/xml.js';
import { fc, fuzz, s3Only, tokens } from './harness.js';

// ---- generators ------------------------------------------------------------------------

/** Characters XML 1.0 can carry (§2.2 Char), with the ones that need escaping made likely. */
const xmlChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('&', '<', '>', '"', "'", ']]>', '\r', '\n', '\r\n', '\t', ' ', '&amp;', '&#34;', 'é', '😀', '\u0085', '\u2028', '\ufeff', '\u00a0') },
  { weight: 5, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  fc.integer({ min: 0x80, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xe000, max: 0xfffd }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);
const xmlText = (maxLength = 16): fc.Arbitrary<string> => fc.array(xmlChar, { maxLength }).map((a) => a.join(''));
/** Element names: NCNames, not the reserved `xml…` ones. */
const elementName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,8}$/).filter((n) => !/^xml/i.test(n));

const { node } = fc.letrec<{ node: XmlNode; value: XmlValue }>((tie) => ({
  node: fc.dictionary(elementName, tie('value'), { maxKeys: 4, depthIdentifier: 'xml' }),
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5, depthIdentifier: 'xml' },
    xmlText(),
    fc.nat(),
    fc.boolean(),
    tie('node'),
    fc.array(fc.oneof(xmlText(), tie('node')), { maxLength: 3, depthIdentifier: 'xml' }),
  ),
}));

interface Tree {
  readonly name: string;
  readonly text: string;
  readonly children: Tree[];
}

/** What renderXml(value) should read back as. */
function model(name: string, value: XmlValue): Tree[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [{ name, text: value, children: [] }];
  if (typeof value === 'number' || typeof value === 'boolean') return [{ name, text: String(value), children: [] }];
  if (Array.isArray(value)) return (value as readonly XmlValue[]).flatMap((v) => model(name, v));
  if (value instanceof Date) return [{ name, text: value.toISOString(), children: [] }];
  return [{ name, text: '', children: Object.entries(value as XmlNode).flatMap(([k, v]) => model(k, v)) }];
}

const tree = (el: XmlElement): Tree => ({ name: el.name, text: el.text, children: el.children.map(tree) });

function depthAndCount(el: XmlElement): { depth: number; count: number } {
  let depth = 1;
  let count = 1;
  for (const c of el.children) {
    const d = depthAndCount(c);
    depth = Math.max(depth, d.depth + 1);
    count += d.count;
  }
  return { depth, count };
}

// ---- the reader ------------------------------------------------------------------------

fuzz('xml: renderXml of random names and texts reads back exactly through parseRequestXml', fc.tuple(elementName, node), ([root, body]) => {
  const xml = renderXml(root, body);
  const parsed = parseRequestXml(Buffer.from(xml, 'utf8'), root);
  assert.deepEqual(tree(parsed), model(root, body)[0]);
});

const soup = [
  '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.1"?>', '<?xml version="1.0" encoding="latin1"?>', '<!DOCTYPE R>',
  '<!DOCTYPE R [<!ENTITY x "xx">]>', '<!ENTITY', '&x;', '<!--', '-->', '<![CDATA[', ']]>', '<?pi x?>', '&', '&amp;', '&lt;',
  '&#34;', '&#x22;', '&#13;', '&#0;', '&#1;', '&#xFFFE;', '&#x110000;', '&nbsp;', '<R>', '</R>', '<R/>', '<R xmlns="u">',
  '<s3:R xmlns:s3="u">', '</s3:R>', '<p:R>', '<A>', '</A>', '<A/>', 'text', ' ', '\r\n', '\t', '<', '>', '/', '=', '"', "'",
  'xmlns:s3="u"', '\ufeff', '\u0000', '\u0001', 'é', '\ud800', '\ufffe',
];
const anyBytes = fc.oneof(
  tokens(soup, 30).map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  // A valid document with a few bytes changed.
  fc.tuple(node, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 })).map(([body, edits]) => {
    const bytes = Buffer.from(renderXml('R', body), 'utf8');
    for (const [at, b] of edits) bytes[at % bytes.length] = b;
    return bytes;
  }),
);

fuzz('xml: any bytes give the expected root or MalformedXML', anyBytes, (bytes) => {
  const el = s3Only(['MalformedXML'], () => parseRequestXml(bytes, 'R'));
  if (el !== undefined) {
    assert.equal(el.name, 'R');
    const { depth, count } = depthAndCount(el);
    assert.ok(depth <= DEFAULT_XML_LIMITS.maxDepth && count <= DEFAULT_XML_LIMITS.maxElements);
    // Text sits in leaves only: mixed content was refused.
    const check = (e: XmlElement): void => {
      if (e.children.length > 0) assert.equal(e.text, '');
      e.children.forEach(check);
    };
    check(el);
  }
});

fuzz(
  'xml: a document parses exactly when it keeps within random depth and element limits',
  fc.tuple(node, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 })),
  ([body, maxDepth, maxElements]) => {
    const bytes = Buffer.from(renderXml('R', body), 'utf8');
    const whole = parseRequestXml(bytes, 'R');
    const { depth, count } = depthAndCount(whole);
    const within = depth <= maxDepth && count <= maxElements;
    const el = s3Only(['MalformedXML'], () => parseRequestXml(bytes, 'R', { maxDepth, maxElements }));
    assert.equal(el !== undefined, within, `depth ${depth}/${maxDepth}, elements ${count}/${maxElements}`);
  },
);

fuzz('xml: nesting is refused past the 32-level cap, at any depth', fc.integer({ min: 1, max: 2000 }), (depth) => {
  const bytes = Buffer.from('<R>' + '<a>'.repeat(depth - 1) + '</a>'.repeat(depth - 1) + '</R>');
  const el = s3Only(['MalformedXML'], () => parseRequestXml(bytes, 'R'));
  assert.equal(el !== undefined, depth <= DEFAULT_XML_LIMITS.maxDepth, `depth ${depth}`);
});

fuzz(
  'xml: documents at the 100,000-element cap are read or refused in bounded work',
  fc.tuple(fc.integer({ min: -3, max: 3 }), fc.constantFrom('<a/>', '<a>&#x10FFFF;&#34;&amp;</a>')),
  ([offset, element]) => {
    const n = DEFAULT_XML_LIMITS.maxElements + offset;
    const bytes = Buffer.from('<R>' + element.repeat(n - 1) + '</R>');
    const el = s3Only(['MalformedXML'], () => parseRequestXml(bytes, 'R'));
    assert.equal(el !== undefined, n <= DEFAULT_XML_LIMITS.maxElements, `${n} elements`);
  },
  { scale: 0.001, minRuns: 6 },
);

fuzz(
  'xml: the largest lawful DeleteObjects (1,000 keys of up to 1,024 bytes, all character references) reads back',
  fc.tuple(fc.constantFrom('&#34;', '&#x22;', '&quot;', '&#x10FFFF;', '&#13;', '&#xE9;'), fc.integer({ min: 1, max: 1024 })),
  ([ref, maxBytes]) => {
    const char = parseRequestXml(Buffer.from(`<K>${ref}</K>`), 'K').text;
    const count = Math.floor(maxBytes / Buffer.byteLength(char)) || 1;
    const doc = `<Delete>${`<Object><Key>${ref.repeat(count)}</Key></Object>`.repeat(1000)}</Delete>`;
    assert.ok(Buffer.byteLength(doc) <= 8 * 1024 * 1024);
    const keys = parseRequestXml(Buffer.from(doc), 'Delete').all('Object').map((o) => o.textOf('Key'));
    assert.equal(keys.length, 1000);
    assert.ok(keys.every((k) => k === char.repeat(count)));
  },
  { scale: 0.001, minRuns: 4 },
);

fuzz('xml: xs:boolean reads true/false/1/0 with XML whitespace, anything else is MalformedXML', fc.tuple(fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'True', 'yes', ''), xmlText(6)), tokens([' ', '\t', '\n', '\r', '\u00a0'], 3), tokens([' ', '\t', '\n', '\r'], 3)), ([core, before, after]) => {
  const text = before + core + after;
  const v = s3Only(['MalformedXML'], () => parseXmlBoolean(text));
  const expected = /^[ \t\r\n]*(true|1)[ \t\r\n]*$/.test(text) ? true : /^[ \t\r\n]*(false|0)[ \t\r\n]*$/.test(text) ? false : undefined;
  assert.equal(v, expected, JSON.stringify(text));
});

// ---- CompleteMultipartUpload ----------------------------------------------------------

const space = tokens([' ', '\t', '\n', '\r'], 3);
const requestedPart = fc.record({
  number: fc.oneof(fc.integer({ min: 1, max: 10000 }), fc.nat()),
  zeros: fc.nat({ max: 2 }),
  pad: fc.tuple(space, space),
  etag: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}(-[1-9][0-9]{0,3})?$/), xmlText(20).filter((t) => t === t.trim() && !/["\r\n\u2028\u2029\u0085]/.test(t))),
  quoted: fc.boolean(),
  checksums: fc.dictionary(fc.constantFrom(...CHECKSUM_ALGORITHMS), fc.tuple(fc.base64String({ minLength: 4, maxLength: 44 }), space)),
  order: fc.nat(),
});

fuzz(
  'CompleteMultipartUpload: a rendered part list parses to its model',
  fc.array(requestedPart, { minLength: 1, maxLength: 30 }),
  (parts) => {
    const body: XmlNode = {
      Part: parts.map((p) => {
        const fields: [string, string][] = [
          ['PartNumber', `${p.pad[0]}${'0'.repeat(p.zeros)}${p.number}${p.pad[1]}`],
          ['ETag', p.quoted ? `"${p.etag}"` : p.etag],
          ...Object.entries(p.checksums).map(([alg, [v, pad]]): [string, string] => [CHECKSUM_XML_ELEMENT[alg as ChecksumAlgorithm], pad + v + pad]),
        ];
        const k = p.order % fields.length;
        return Object.fromEntries([...fields.slice(k), ...fields.slice(0, k)]);
      }),
    };
    const got = parseCompleteRequest(Buffer.from(renderXml('CompleteMultipartUpload', body), 'utf8'));
    assert.deepEqual(
      got,
      parts.map((p) => ({
        partNumber: p.number,
        etag: p.etag,
        checksums: new Map(CHECKSUM_ALGORITHMS.filter((a) => p.checksums[a] !== undefined).map((a) => [a, p.checksums[a]![0]])),
      })),
    );
  },
);

const completeSoup = [...soup, '<CompleteMultipartUpload>', '</CompleteMultipartUpload>', '<Part>', '</Part>', '<PartNumber>', '</PartNumber>', '1', '10001', '<ETag>', '</ETag>', '"', '<ChecksumCRC32>', '</ChecksumCRC32>'];

fuzz('CompleteMultipartUpload: any body gives part numbers and ETags, or MalformedXML', fc.oneof(tokens(completeSoup, 40).map((s) => Buffer.from(s)), anyBytes), (bytes) => {
  const parts = s3Only(['MalformedXML'], () => parseCompleteRequest(bytes));
  if (parts !== undefined) {
    assert.ok(parts.length >= 1 && parts.length <= 10000);
    for (const p of parts) assert.ok(Number.isInteger(p.partNumber) || p.partNumber === Infinity, String(p.partNumber));
  }
});

// ---- PutBucketEncryption --------------------------------------------------------------

const ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;

fuzz(
  'PutBucketEncryption: a rendered configuration parses to its model, or to the documented refusal',
  fc.record({
    algorithm: fc.constantFrom(...ALGORITHMS),
    keyId: fc.option(fc.oneof(fc.constant(''), xmlText(20)), { nil: undefined }),
    bucketKey: fc.option(fc.boolean(), { nil: undefined }),
    blocked: fc.option(fc.array(fc.constantFrom('SSE-C', 'NONE'), { maxLength: 3 }), { nil: undefined }),
    pad: space,
  }),
  ({ algorithm, keyId, bucketKey, blocked, pad }) => {
    const rule: XmlNode = {
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: pad + algorithm + pad, KMSMasterKeyID: keyId },
      BucketKeyEnabled: bucketKey,
      BlockedEncryptionTypes: blocked === undefined ? undefined : { EncryptionType: blocked.map((t) => pad + t) },
    };
    const bytes = Buffer.from(renderXml('ServerSideEncryptionConfiguration', { Rule: rule }), 'utf8');
    const run = () => parseConfiguration(parseRequestXml(bytes, 'ServerSideEncryptionConfiguration'));
    const hasKey = keyId !== undefined && keyId !== '';
    if (hasKey && algorithm === 'AES256') {
      assert.throws(run, { code: 'InvalidArgument' });
      return;
    }
    if (blocked !== undefined && blocked.includes('NONE') && blocked.includes('SSE-C')) {
      assert.throws(run, { code: 'MalformedXML' });
      return;
    }
    assert.deepEqual(run(), {
      sseAlgorithm: algorithm,
      ...(hasKey ? { kmsMasterKeyId: keyId } : {}),
      bucketKeyEnabled: bucketKey === true,
      blocked: blocked === undefined ? undefined : blocked.includes('NONE') ? [] : [...new Set(blocked)],
    });
  },
);

const encryptionSoup = [...soup, '<ServerSideEncryptionConfiguration>', '</ServerSideEncryptionConfiguration>', '<Rule>', '</Rule>', '<ApplyServerSideEncryptionByDefault>', '</ApplyServerSideEncryptionByDefault>', '<SSEAlgorithm>', '</SSEAlgorithm>', 'AES256', 'aws:kms', '<KMSMasterKeyID>k</KMSMasterKeyID>', '<BucketKeyEnabled>', '</BucketKeyEnabled>', 'true', '<BlockedEncryptionTypes>', '</BlockedEncryptionTypes>', '<EncryptionType>', '</EncryptionType>', 'SSE-C', 'NONE'];

fuzz('PutBucketEncryption: any body gives a configuration, MalformedXML or InvalidArgument', tokens(encryptionSoup, 40), (text) => {
  const config = s3Only(['MalformedXML', 'InvalidArgument'], () => parseConfiguration(parseRequestXml(Buffer.from(text), 'ServerSideEncryptionConfiguration')));
  if (config !== undefined) assert.ok(ALGORITHMS.includes(config.sseAlgorithm));
});
