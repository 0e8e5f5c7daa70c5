/** Base64 for salts and sealed fields in stored records: a leaf helper every mode shares. */
export const b64 = (b: Buffer): string => b.toString('base64');
/** Anything but a string (a missing field) decodes to an empty buffer. */
export const unb64 = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : '', 'base64');
