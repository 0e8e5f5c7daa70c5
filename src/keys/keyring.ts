/**
 * The keyring (issue 5): named SSE-C keys in one file (default ~/.config/strongbox/keyring.json),
 * mode 0600, rewritten atomically. Everything but the format and the scrypt parameters is
 * sealed — names, dates and keys — so the file reveals neither which keys exist nor how many:
 *
 *   { "format": "strongbox-keyring/1", "scrypt": { salt, N, r, p }, "sealed": base64 }
 *
 * `sealed` is nonce ‖ AES-256-GCM ciphertext ‖ tag (envelope.ts) of
 * `{"keys":[{"name","created","key"}]}` under scrypt(passphrase, salt), with the format as
 * associated data. Changing this layout breaks stored keyrings: bump the format version.
 */
import { randomBytes } from 'node:crypto';
import { SCRYPT_COST, isSaneScryptCost, passphraseKey, type ScryptCost } from '../crypto/passphrase-key.js';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bindingOf, open, seal } from '../crypto/envelope.js';
import { writeFileAtomic } from '../private-file.js';
import { KeyError } from './key-error.js';
import { KEY_BYTES, KEY_NAME_RE, parseKeyText } from './keyref.js';

export const KEYRING_FORMAT = 'strongbox-keyring/1';
const AAD = bindingOf('strongbox/v1/keyring', KEYRING_FORMAT);

export interface KeyringEntry {
  readonly name: string;
  readonly key: Buffer;
  readonly created: Date;
}

interface ScryptParams extends ScryptCost {
  salt: string;
}
interface KeyringFile {
  format: string;
  scrypt: ScryptParams;
  sealed: string;
}
interface StoredEntry {
  name: string;
  created: string;
  key: string;
}

/** Asked for the passphrase; `creating` is true when a new keyring will be sealed with it. */
export type PassphraseSource = (creating: boolean) => Promise<string>;

/** The keyring's key: the passphrase in NFC, so the same words typed on another system open it. */
const deriveKek = (passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> => passphraseKey(passphrase.normalize('NFC'), salt, cost);

const corrupt = (path: string, why: string) => new KeyError('STRONGBOX_KEYRING_CORRUPT', `the keyring ${path} is damaged or not a keyring: ${why}`);

function checkFile(path: string, value: unknown): KeyringFile {
  if (typeof value !== 'object' || value === null) throw corrupt(path, 'not a JSON object');
  const f = value as Partial<KeyringFile>;
  if (f.format !== KEYRING_FORMAT) throw corrupt(path, `unknown format (expected ${KEYRING_FORMAT})`);
  const s = f.scrypt;
  if (typeof s !== 'object' || typeof s.salt !== 'string' || !isSaneScryptCost(s)) {
    throw corrupt(path, 'bad scrypt parameters');
  }
  if (typeof f.sealed !== 'string') throw corrupt(path, 'no sealed content');
  return { format: f.format, scrypt: s, sealed: f.sealed };
}

function checkEntries(path: string, value: unknown): KeyringEntry[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw corrupt(path, 'the sealed content holds no key list');
  return keys.map((k: Partial<StoredEntry>) => {
    const key = typeof k.key === 'string' ? Buffer.from(k.key, 'base64') : Buffer.alloc(0);
    const created = new Date(String(k.created));
    if (typeof k.name !== 'string' || !KEY_NAME_RE.test(k.name) || key.length !== KEY_BYTES || Number.isNaN(created.getTime())) {
      throw corrupt(path, 'a sealed entry is not a named 32-byte key');
    }
    return { name: k.name, key, created };
  });
}

/** A name that parses as a key could not be told apart from a mistyped key on the command line. */
function looksLikeKey(name: string): boolean {
  try {
    parseKeyText(name, 'name').fill(0);
    return true;
  } catch {
    return false;
  }
}

/** An opened keyring: change it in memory, then save(). Call wipe() when done. */
export class Keyring {
  private constructor(
    readonly path: string,
    private entries: KeyringEntry[],
    private readonly kek: Buffer,
    private readonly params: ScryptParams,
    /** False until the first save of a keyring that had no file. */
    private exists: boolean,
  ) {}

  /**
   * Opens the keyring at `path`. A missing file is an error unless `create` is set: then an
   * empty keyring is returned, sealed with a new passphrase on its first save.
   */
  static async open(path: string, passphrase: PassphraseSource, opts: { create?: boolean } = {}): Promise<Keyring> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      if (opts.create !== true) throw new KeyError('STRONGBOX_KEYRING_NAME', `there is no keyring at ${path} (\`strongbox key new --name NAME\` creates it)`);
      const phrase = await passphrase(true);
      if (phrase === '') throw new KeyError('STRONGBOX_KEYRING_PASSPHRASE', 'the keyring passphrase is empty');
      const params = { salt: randomBytes(32).toString('base64'), ...SCRYPT_COST };
      return new Keyring(path, [], await deriveKek(phrase, Buffer.from(params.salt, 'base64'), params), params, false);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw corrupt(path, 'not JSON');
    }
    const file = checkFile(path, json);
    const phrase = await passphrase(false);
    if (phrase === '') throw new KeyError('STRONGBOX_KEYRING_PASSPHRASE', 'the keyring passphrase is empty');
    const kek = await deriveKek(phrase, Buffer.from(file.scrypt.salt, 'base64'), file.scrypt);
    const plain = open(kek, Buffer.from(file.sealed, 'base64'), AAD);
    if (plain === undefined) {
      kek.fill(0);
      throw new KeyError('STRONGBOX_KEYRING_PASSPHRASE', `the passphrase does not open the keyring ${path} (wrong passphrase, or the file was altered)`);
    }
    try {
      let inner: unknown;
      try {
        inner = JSON.parse(plain.toString('utf8'));
      } catch {
        throw corrupt(path, 'the sealed content is not JSON');
      }
      return new Keyring(path, checkEntries(path, inner), kek, file.scrypt, true);
    } catch (err) {
      kek.fill(0);
      throw err;
    } finally {
      plain.fill(0);
    }
  }

  list(): readonly KeyringEntry[] {
    return [...this.entries].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A copy of the named key (the caller wipes it), or undefined. */
  get(name: string): Buffer | undefined {
    const e = this.entries.find((k) => k.name === name);
    return e === undefined ? undefined : Buffer.from(e.key);
  }

  /** Adds a copy of `key` under a new name; refuses a taken or invalid name. */
  add(name: string, key: Buffer, created: Date = new Date()): void {
    if (!KEY_NAME_RE.test(name)) throw new KeyError('STRONGBOX_KEYRING_NAME', `invalid key name "${name}": use 1-64 letters, digits and _.- (starting with a letter or digit)`);
    if (looksLikeKey(name)) throw new KeyError('STRONGBOX_KEYRING_NAME', 'invalid key name: it looks like a key itself');
    if (key.length !== KEY_BYTES) throw new KeyError('STRONGBOX_KEYREF_INVALID', 'a key is 32 bytes');
    if (this.entries.some((k) => k.name === name)) throw new KeyError('STRONGBOX_KEYRING_NAME', `the keyring already has a key named "${name}"`);
    this.entries.push({ name, key: Buffer.from(key), created });
  }

  /** Removes the named key; false when there is none. */
  remove(name: string): boolean {
    const i = this.entries.findIndex((k) => k.name === name);
    if (i < 0) return false;
    this.entries[i]?.key.fill(0);
    this.entries.splice(i, 1);
    return true;
  }

  /** Seals and writes the keyring (a fresh nonce each time), atomically, mode 0600. */
  async save(): Promise<void> {
    const stored: StoredEntry[] = this.entries.map((e) => ({ name: e.name, created: e.created.toISOString(), key: e.key.toString('base64') }));
    const plain = Buffer.from(JSON.stringify({ keys: stored }));
    const file: KeyringFile = { format: KEYRING_FORMAT, scrypt: this.params, sealed: seal(this.kek, plain, AAD).toString('base64') };
    plain.fill(0);
    if (!this.exists) await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, JSON.stringify(file, null, 2) + '\n', 0o600);
    this.exists = true;
  }

  wipe(): void {
    this.kek.fill(0);
    for (const e of this.entries) e.key.fill(0);
    this.entries = [];
  }
}
