/**
 * The one reader of request documents (CompleteMultipartUpload, DeleteObjects,
 * PutBucketEncryption, CreateBucket, the ACL bodies, and every document later operations
 * take), faithful to XML 1.0 as Amazon S3 reads it:
 * - character references (`&#34;`, `&#x22;`; `&#13;` keeps its carriage return) and the five
 *   predefined entities, and no other entity (`&nbsp;` is not well-formed);
 * - a literal CR or CRLF becomes LF (XML 1.0 §2.11), CDATA sections are text, comments and
 *   processing instructions are skipped, whitespace between elements is ignored;
 * - element names are matched by their local name, so `s3:Key` under a declared prefix and
 *   the default namespace both read as `Key` (an undeclared prefix is not well-formed);
 * - a DOCTYPE is refused outright: no entity of any kind is ever expanded;
 * - the body must be UTF-8 (a BOM is allowed); XML 1.1 is read as 1.0, so `&#1;` is refused.
 * Every failure is 400 MalformedXML. Go's encoding/xml, which writes `"` as `&#34;`, is the
 * client that made this matter (https://pkg.go.dev/encoding/xml#EscapeText).
 *
 * The parser is saxes, a conformant streaming XML 1.0 parser; this module configures it and
 * turns its events into a small tree with caps on depth and element count.
 */
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { malformedXml, maxMessageLengthExceeded } from '../errors/s3-error.js';

/** Caps on a request document's shape; beyond them it is MalformedXML. */
export interface XmlShapeLimits {
  /** Deepest nesting, the root being depth 1. S3's deepest documents need about 8. */
  readonly maxDepth: number;
  /** Elements in the whole document: 10,000 parts of CompleteMultipartUpload with every checksum fit. */
  readonly maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlShapeLimits = { maxDepth: 32, maxElements: 100_000 };

/** XML 1.0's whitespace (§2.3 S): not JavaScript's, which also strips U+00A0 and U+FEFF. */
const XML_WHITESPACE = /^[ \t\r\n]*$/;

/** One element of a request document: its local name, its child elements, its character data. */
export class XmlElement {
  readonly children: XmlElement[] = [];
  /** Text and CDATA directly inside this element, references decoded and line ends normalised. */
  text = '';

  constructor(readonly name: string) {}

  /** The first child element named `name`. */
  child(name: string): XmlElement | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Every child element named `name`, in document order. */
  all(name: string): XmlElement[] {
    return this.children.filter((c) => c.name === name);
  }

  /**
   * The text of the first child named `name`, undefined when there is none. A child that
   * holds elements where text belongs does not fit the schema: MalformedXML.
   */
  textOf(name: string): string | undefined {
    const c = this.child(name);
    if (c === undefined) return undefined;
    if (c.children.length > 0) throw malformedXml();
    return c.text;
  }
}

/** An xs:boolean element's text (`true`, `false`, `1`, `0`, surrounding whitespace allowed); absent is false. */
export function parseXmlBoolean(text: string | undefined): boolean {
  switch (text?.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')) {
    case undefined:
    case 'false':
    case '0':
      return false;
    case 'true':
    case '1':
      return true;
    default:
      throw malformedXml();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses a request document whose root element must be `root`. Anything that is not
 * well-formed XML 1.0 in UTF-8, has a DOCTYPE, another root, or breaks `limits`, is
 * MalformedXML.
 */
export function parseRequestXml(body: Uint8Array, root: string, limits: XmlShapeLimits = DEFAULT_XML_LIMITS): XmlElement {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw malformedXml();
  }
  const parser = new SaxesParser({ xmlns: true, position: false, defaultXMLVersion: '1.0', forceXMLVersion: true });
  const stack: XmlElement[] = [];
  let top: XmlElement | undefined;
  let elements = 0;
  const current = (): XmlElement | undefined => stack[stack.length - 1];
  const addText = (t: string): void => {
    const el = current();
    // Outside the root saxes allows only whitespace, which is no one's text.
    if (el !== undefined) el.text += t;
  };

  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== 'utf-8') throw malformedXml();
  });
  parser.on('doctype', () => {
    throw malformedXml();
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    elements += 1;
    if (elements > limits.maxElements || stack.length + 1 > limits.maxDepth) throw malformedXml();
    const el = new XmlElement(tag.local);
    const parent = current();
    if (parent === undefined) top = el;
    else parent.children.push(el);
    stack.push(el);
  });
  parser.on('closetag', () => {
    const el = stack.pop();
    // Text mixed in among child elements has no place in any S3 document.
    if (el !== undefined && el.children.length > 0) {
      if (!XML_WHITESPACE.test(el.text)) throw malformedXml();
      el.text = '';
    }
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('error', () => {
    throw malformedXml();
  });

  parser.write(text).close();
  if (top === undefined || top.name !== root) throw malformedXml();
  return top;
}

/**
 * Byte caps on request documents; a larger body is 400 MaxMessageLengthExceeded.
 * DeleteObjects and CompleteMultipartUpload fit their largest lawful document (1,000 keys of
 * 1,024 bytes each written as character references; 10,000 parts with every checksum);
 * configuration documents are small.
 */
export const MAX_DELETE_BODY = 8 * 1024 * 1024;
export const MAX_COMPLETE_BODY = 8 * 1024 * 1024;
export const MAX_CONFIG_BODY = 64 * 1024;

/** Collects a request body of at most `limit` bytes; more is MaxMessageLengthExceeded. */
export async function readSmallBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw maxMessageLengthExceeded();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
