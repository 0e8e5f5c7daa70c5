/** Response documents, rendered with every text node escaped. Request documents are read by xml-request.ts. */
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
