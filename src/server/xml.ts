import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Readable } from 'node:stream';
import { S3Error, malformedXml, invalidRequest } from './s3-error.js';

/** The namespace of every S3 response document except <Error>. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * A response document as plain data: an object's properties become child elements in
 * insertion order, arrays repeat the element, undefined is omitted, Date is ISO 8601.
 */
export type XmlValue = string | number | boolean | Date | undefined | XmlNode | readonly XmlValue[];
export interface XmlNode {
  readonly [name: string]: XmlValue;
}

// XML 1.0 cannot carry most C0 control characters even as references; S3 emits them as
// character references anyway, and clients that care ask for encoding-type=url.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/;
export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (c) => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
}

function renderValue(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    out.push(`<${name}>${escapeXml(value)}</${name}>`);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    out.push(`<${name}>${String(value)}</${name}>`);
  } else if (Array.isArray(value)) {
    for (const v of value as readonly XmlValue[]) renderValue(name, v, out);
  } else if (value instanceof Date) {
    out.push(`<${name}>${value.toISOString()}</${name}>`);
  } else {
    out.push(`<${name}>`);
    const node = value as XmlNode;
    for (const child in node) renderValue(child, node[child], out);
    out.push(`</${name}>`);
  }
}

/** Renders `<?xml …?><root xmlns=…>…</root>`. */
/** `namespace` null renders no xmlns (the <Error> document). */
export function renderXml(root: string, body: XmlNode, namespace: string | null = S3_XMLNS): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  out.push(namespace === null ? `<${root}>` : `<${root} xmlns="${namespace}">`);
  for (const [child, v] of Object.entries(body)) renderValue(child, v, out);
  out.push(`</${root}>`);
  return out.join('');
}

/** Largest request document we collect (DeleteObjects with 1,000 long keys fits). */
export const MAX_XML_BODY = 2 * 1024 * 1024;

/** Collects a request body of at most `limit` bytes. */
export async function readSmallBody(body: Readable, limit = MAX_XML_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new S3Error('MaxMessageLengthExceeded', 400, 'Your request was too big.');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (_name, jpath) => ARRAY_PATHS.has(String(jpath)),
});
/** Elements that may repeat, by path, so a single occurrence still parses as an array. */
const ARRAY_PATHS = new Set(['Delete.Object', 'CompleteMultipartUpload.Part']);

/** Parses a request document; anything not well-formed is MalformedXML. */
export function parseXml(text: Buffer | string): Record<string, unknown> {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  if (s.trim() === '') throw malformedXml();
  if (XMLValidator.validate(s) !== true) throw malformedXml();
  try {
    return parser.parse(s) as Record<string, unknown>;
  } catch {
    throw malformedXml();
  }
}

/** A text child of a parsed element, or undefined. */
export function xmlText(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const v = (node as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && Object.keys(v).length === 0) return '';
  throw invalidRequest(`Element ${name} must be text.`);
}
