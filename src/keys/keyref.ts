/**
 * KEYREF: how a command names an SSE-C key. `@path` is a file holding the key (32 raw bytes,
 * 64 hex characters or base64 of 32 bytes), `env:VAR` an environment variable (hex or base64),
 * anything else a name in the keyring. The key is returned as a Buffer the caller wipes.
 */
import { readFile } from 'node:fs/promises';
import { KeyError } from './key-error.js';

export const KEY_BYTES = 32;

/** Keyring names: no `@` or `:`, so they never look like a file or a variable. */
export const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const HEX_RE = /^[0-9a-fA-F]+$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;

const invalid = (msg: string) => new KeyError('STRONGBOX_KEYREF_INVALID', msg);

/**
 * A key written as text: 64 hex digits or base64 (standard or URL-safe) of 32 bytes, with
 * surrounding whitespace ignored. `what` names the source in error messages.
 */
export function parseKeyText(text: string, what: string): Buffer {
  const t = text.trim();
  if (t === '') throw invalid(`${what} is empty: expected 64 hex characters or base64 of 32 bytes`);
  if (HEX_RE.test(t)) {
    if (t.length === KEY_BYTES * 2) return Buffer.from(t, 'hex');
    // 43 hex-looking characters can still be unpadded URL-safe base64 of 32 bytes.
    if (t.length !== 43) throw invalid(`${what} has ${t.length} hex characters: a key is 64 (32 bytes)`);
  }
  if (BASE64_RE.test(t) || BASE64URL_RE.test(t)) {
    const key = Buffer.from(t, BASE64_RE.test(t) ? 'base64' : 'base64url');
    if (key.length === KEY_BYTES && (t.length === 44 || (t.length === 43 && !t.endsWith('=')))) return key;
    key.fill(0);
    throw invalid(`${what} is base64 of ${key.length} bytes: a key is 32 bytes (44 base64 characters)`);
  }
  throw invalid(`${what} is neither hex nor base64: expected 64 hex characters or base64 of 32 bytes`);
}

/** A key file's bytes: exactly 32 bytes are the raw key, anything else is read as text. */
export function parseKeyFile(data: Buffer, what: string): Buffer {
  if (data.length === KEY_BYTES) return Buffer.from(data);
  const text = data.toString('utf8');
  if (data.length > 4096 || text.includes('\uFFFD') || text.includes('\0')) {
    throw invalid(`${what} holds ${data.length} bytes: a key file holds 32 raw bytes, 64 hex characters or base64 of 32 bytes`);
  }
  return parseKeyText(text, what);
}

function looksLikeKey(text: string): boolean {
  try {
    parseKeyText(text, 'argument').fill(0);
    return true;
  } catch {
    return false;
  }
}

export interface KeyRefContext {
  /** The environment `env:VAR` reads from. */
  readonly env: NodeJS.ProcessEnv;
  /** Looks a name up in the keyring (opening it on first use); undefined when it is not there. */
  readonly lookup: (name: string) => Promise<Buffer | undefined>;
}

/** Resolves a KEYREF to a 32-byte key (a fresh Buffer: wipe it when done). */
export async function resolveKeyRef(ref: string, ctx: KeyRefContext): Promise<Buffer> {
  if (ref.startsWith('@')) {
    const path = ref.slice(1);
    if (path === '') throw invalid('"@" must be followed by a file name');
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw invalid(`key file ${path} does not exist`);
      if (code === 'EISDIR') throw invalid(`key file ${path} is a directory`);
      if (code === 'EACCES') throw invalid(`key file ${path} cannot be read (permission denied)`);
      throw err;
    }
    try {
      return parseKeyFile(data, `key file ${path}`);
    } finally {
      data.fill(0);
    }
  }
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    if (name === '') throw invalid('"env:" must be followed by a variable name');
    const value = ctx.env[name];
    if (value === undefined) throw invalid(`environment variable ${name} is not set`);
    return parseKeyText(value, `environment variable ${name}`);
  }
  if (looksLikeKey(ref)) throw invalid('the key reference looks like a key itself: pass a key as @FILE or env:VAR, never as an argument');
  // The reference is not echoed: it may be a mistyped key.
  if (!KEY_NAME_RE.test(ref)) throw invalid('not a key reference: use a keyring name, @FILE or env:VAR');
  const key = await ctx.lookup(ref);
  if (key === undefined) throw new KeyError('STRONGBOX_KEYRING_NAME', `no key named "${ref}" in the keyring`);
  return key;
}
