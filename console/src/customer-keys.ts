/**
 * SSE-C keys in the page: read from what a person types, pastes or loads (the same forms the CLI's
 * KEYREFs accept, plus a typed 32-character key as `aws s3 cp --sse-c-key` takes it; written again
 * here because src/keys works on Node's Buffer and node:crypto, which a browser lacks), generated with
 * WebCrypto, and fingerprinted exactly as `strongbox key fingerprint` does (first 8 bytes of the
 * SHA-256, `ab12-cd34-ef56-7890`) so the two can be compared by eye.
 *
 * Keys live only in component state for the request that needs them. What this browser remembers
 * (localStorage) is public: labels and fingerprints of keys, and which fingerprint opened or sealed
 * which object (with its ETag, so a record of an overwritten object is not trusted).
 */
const KEY_BYTES = 32;

export interface CustomerKey {
  readonly bytes: Uint8Array;
  /** The key as the AWS SDK takes it (base64 of the 32 bytes). */
  readonly base64: string;
  readonly fingerprint: string;
}

export class KeyFormatError extends Error {}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(standard)) return undefined;
  try {
    const padded = standard.padEnd(Math.ceil(standard.length / 4) * 4, '=');
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * A key written as text: 64 hex digits, base64 (standard or URL-safe) of 32 bytes, or 32
 * characters that are the key itself. Anything else is refused with a sentence saying why.
 */
export function parseKeyText(input: string): Uint8Array {
  const text = input.trim();
  if (text === '') throw new KeyFormatError('Enter the key: 64 hex digits, 44 base64 characters, or the 32 characters of the key itself.');
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
  if (text.length === 43 || text.length === 44) {
    const bytes = fromBase64(text);
    if (bytes?.length === KEY_BYTES) return bytes;
  }
  const raw = new TextEncoder().encode(input);
  if (raw.length === KEY_BYTES) return raw;
  throw new KeyFormatError(
    `This is not a key: a key is 64 hex digits, 44 base64 characters, or exactly 32 characters (this is ${raw.length} bytes).`,
  );
}

/** A key file: 32 raw bytes, or the key as text (hex or base64, surrounding whitespace ignored). */
export async function readKeyFile(file: Blob): Promise<Uint8Array> {
  if (file.size > 1024) throw new KeyFormatError('This file is too large to be a key: a key file holds 32 bytes, 64 hex digits or base64 of 32 bytes.');
  const data = new Uint8Array(await file.arrayBuffer());
  if (data.length === KEY_BYTES) return data;
  const text = new TextDecoder().decode(data).trim();
  if (/^[0-9a-fA-F]{64}$/.test(text) || text.length === 43 || text.length === 44) {
    try {
      return parseKeyText(text);
    } catch {
      // fall through to the file's own message
    }
  }
  throw new KeyFormatError(`This file holds ${data.length} bytes: a key file holds 32 raw bytes, 64 hex digits or base64 of 32 bytes.`);
}

export function generateKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/** WebCrypto's digest exists only in secure contexts (HTTPS, or localhost). */
export const canFingerprint = (): boolean => typeof crypto !== 'undefined' && crypto.subtle !== undefined;

export async function fingerprintOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)?.join('-') ?? hex;
}

export async function customerKey(bytes: Uint8Array): Promise<CustomerKey> {
  return { bytes, base64: toBase64(bytes), fingerprint: await fingerprintOf(bytes) };
}

/** The SDK's SSE-C parameters for a key. */
export const sseCParams = (key: CustomerKey) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.base64 }) as const;

// ---- What this browser remembers: labels and fingerprints only ----

export interface KnownKey {
  readonly label: string;
  readonly fingerprint: string;
}

interface ObjectRecord {
  readonly fingerprint: string;
  readonly etag: string | undefined;
}

const KEYS_ITEM = 'strongbox.console.customer-keys';
const OBJECTS_ITEM = 'strongbox.console.object-keys';
/** Object records kept, newest last: enough for a person's uploads, bounded for localStorage. */
const MAX_OBJECT_RECORDS = 5000;

function readItem<T>(name: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(name);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function knownKeys(): KnownKey[] {
  const list = readItem<unknown>(KEYS_ITEM, []);
  const isKnownKey = (k: unknown): k is KnownKey => {
    const entry = k as Partial<Record<keyof KnownKey, unknown>> | null;
    return typeof entry === 'object' && entry !== null && typeof entry.label === 'string' && typeof entry.fingerprint === 'string';
  };
  return Array.isArray(list) ? list.filter(isKnownKey) : [];
}

export function rememberKey(label: string, fingerprint: string): void {
  const others = knownKeys().filter((k) => k.fingerprint !== fingerprint);
  localStorage.setItem(KEYS_ITEM, JSON.stringify([...others, { label: label.trim() || 'unnamed key', fingerprint }]));
}

export function forgetKey(fingerprint: string): void {
  localStorage.setItem(KEYS_ITEM, JSON.stringify(knownKeys().filter((k) => k.fingerprint !== fingerprint)));
}

export const labelOf = (fingerprint: string): string | undefined => knownKeys().find((k) => k.fingerprint === fingerprint)?.label;

const objectId = (bucket: string, key: string) => `${bucket}/${key}`;

/** Notes that `fingerprint` seals this object (after an upload, or a download it opened). */
export function recordObjectKey(bucket: string, key: string, etag: string | undefined, fingerprint: string): void {
  const records = readItem<Record<string, ObjectRecord>>(OBJECTS_ITEM, {});
  delete records[objectId(bucket, key)];
  records[objectId(bucket, key)] = { fingerprint, etag };
  const ids = Object.keys(records);
  for (const old of ids.slice(0, Math.max(0, ids.length - MAX_OBJECT_RECORDS))) delete records[old];
  localStorage.setItem(OBJECTS_ITEM, JSON.stringify(records));
}

/** The fingerprint this browser saw seal the object, unless the object has since changed. */
export function expectedFingerprint(bucket: string, key: string, etag: string | undefined): string | undefined {
  const record = readItem<Record<string, ObjectRecord>>(OBJECTS_ITEM, {})[objectId(bucket, key)];
  if (record === undefined || typeof record.fingerprint !== 'string') return undefined;
  return etag !== undefined && record.etag !== undefined && record.etag !== etag ? undefined : record.fingerprint;
}

/** "“label” (ab12-…)" or the bare fingerprint. */
export function describeKey(fingerprint: string): string {
  const label = labelOf(fingerprint);
  return label === undefined ? `fingerprint ${fingerprint}` : `“${label}” (fingerprint ${fingerprint})`;
}
