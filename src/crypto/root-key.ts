/**
 * The server's root key (issue 4): what SSE-S3 derives its key-encryption keys from and what
 * the built-in KMS seals its keys under. It is versioned: rotation adds a version, older ones
 * stay for reading. It lives in a keys directory that may sit apart from the data
 * (`<keys>/root-key.json`, mode 0600), optionally sealed with a passphrase (scrypt), or comes
 * from the environment (base64). The metadata store records the ids of the versions the data
 * has used (no secret), so a server started with a missing or different root key refuses to
 * start instead of serving undecryptable objects or writing under a fresh key. (Before issue 15
 * the ids were a file in the data directory, `root-key-ids`; it is moved into the store once.)
 *
 * `serve` loads it before anything is served; SSE-S3 (sse-s3.ts) seals data keys under it, and
 * the built-in KMS will seal its keys under it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { SCRYPT_COST, isSaneScryptCost, passphraseKey } from './passphrase-key.js';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../private-file.js';
import { KEY_SIZE, bindingOf, open, seal } from './envelope.js';

export type RootKeyErrorCode =
  /** The data directory was used with a root key that is not available now. */
  | 'STRONGBOX_ROOT_KEY_MISSING'
  /** The key file is sealed and no passphrase was given, or the passphrase does not open it. */
  | 'STRONGBOX_ROOT_KEY_PASSPHRASE'
  /** The key file or the environment value is not a root key. */
  | 'STRONGBOX_ROOT_KEY_INVALID';

export class RootKeyError extends Error {
  constructor(
    readonly code: RootKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RootKeyError';
  }
}

export interface RootKeyVersion {
  readonly version: number;
  readonly key: Buffer;
  readonly createdAt: Date;
  /** A public id of the key (an HMAC under it), for matching data with keys; not secret. */
  readonly id: string;
}

export interface RootKeyring {
  readonly versions: readonly RootKeyVersion[];
  /** The newest version: new data is sealed under it. */
  readonly current: RootKeyVersion;
  get(version: number): RootKeyVersion | undefined;
}

export interface RootKeyOptions {
  readonly keysDir: string;
  /** A base64 root key from the environment; the key file is then not used. */
  readonly envKey?: string | undefined;
  /** Asked for only when the key file is sealed, or to seal a new one. */
  readonly passphrase?: (() => Promise<string>) | undefined;
  /** Seal a newly generated key file with the passphrase. */
  readonly sealNew?: boolean;
  /**
   * Where the data this keyring serves records the versions it has used (the metadata store):
   * a new key is generated only if it has never used one, and the keyring must hold every
   * version it has used (checkRootKeyAgainstData).
   */
  readonly usedIds?: RootKeyIdStore;
  /** A data directory whose `root-key-ids` file (older versions) is moved into `usedIds`. */
  readonly legacyDataDir?: string;
}

/** Where the ids of the root key versions the data has used are kept (the metadata store). */
export interface RootKeyIdStore {
  listRootKeyIds(): Promise<string[]>;
  addRootKeyIds(ids: readonly string[]): Promise<void>;
}

export const ROOT_KEY_FILE = 'root-key.json';
/** Where versions before issue 15 kept the ids of the root key versions the data used. */
const LEGACY_ROOT_KEY_IDS_FILE = 'root-key-ids';
const FILE_FORMAT = 'strongbox-root-key/1';
const FILE_AAD = bindingOf('strongbox/v1/root-key-file');

interface StoredVersion {
  version: number;
  created: string;
  key: string;
}
interface KeyFile {
  format: string;
  keys?: StoredVersion[];
  scrypt?: { salt: string; N: number; r: number; p: number };
  sealed?: string;
}

const keyId = (key: Buffer): string => createHmac('sha256', key).update('strongbox/v1/root-key-id').digest('hex').slice(0, 16);

function keyring(versions: RootKeyVersion[]): RootKeyring {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const current = sorted.at(-1);
  if (current === undefined) throw new RootKeyError('STRONGBOX_ROOT_KEY_INVALID', 'the root key file holds no key');
  return { versions: sorted, current, get: (v) => sorted.find((k) => k.version === v) };
}

function fromStored(s: StoredVersion): RootKeyVersion {
  const key = Buffer.from(s.key, 'base64');
  if (key.length !== KEY_SIZE || !Number.isSafeInteger(s.version) || s.version < 1) {
    throw new RootKeyError('STRONGBOX_ROOT_KEY_INVALID', `root key version ${String(s.version)} is not a 32-byte key`);
  }
  return { version: s.version, key, createdAt: new Date(s.created), id: keyId(key) };
}

const toStored = (v: RootKeyVersion): StoredVersion => ({ version: v.version, created: v.createdAt.toISOString(), key: v.key.toString('base64') });

async function askPassphrase(opts: RootKeyOptions, why: string): Promise<string> {
  const phrase = opts.passphrase === undefined ? undefined : await opts.passphrase();
  if (phrase === undefined || phrase === '') throw new RootKeyError('STRONGBOX_ROOT_KEY_PASSPHRASE', why);
  return phrase;
}

async function encodeFile(versions: readonly RootKeyVersion[], passphrase: string | undefined): Promise<string> {
  const keys = versions.map(toStored);
  if (passphrase === undefined) return JSON.stringify({ format: FILE_FORMAT, keys } satisfies KeyFile, null, 2) + '\n';
  const salt = randomBytes(32);
  const kek = await passphraseKey(passphrase, salt, SCRYPT_COST);
  const sealed = seal(kek, Buffer.from(JSON.stringify(keys)), FILE_AAD);
  kek.fill(0);
  const file: KeyFile = { format: FILE_FORMAT, scrypt: { salt: salt.toString('base64'), ...SCRYPT_COST }, sealed: sealed.toString('base64') };
  return JSON.stringify(file, null, 2) + '\n';
}

async function decodeFile(text: string, opts: RootKeyOptions): Promise<{ versions: RootKeyVersion[]; passphrase: string | undefined }> {
  let file: KeyFile;
  try {
    file = JSON.parse(text) as KeyFile;
  } catch {
    throw new RootKeyError('STRONGBOX_ROOT_KEY_INVALID', 'the root key file is not JSON');
  }
  if (file.format !== FILE_FORMAT) throw new RootKeyError('STRONGBOX_ROOT_KEY_INVALID', 'the root key file has an unknown format');
  if (file.sealed === undefined) return { versions: (file.keys ?? []).map(fromStored), passphrase: undefined };
  const params = file.scrypt;
  if (params === undefined || !isSaneScryptCost(params)) throw new RootKeyError('STRONGBOX_ROOT_KEY_INVALID', 'the sealed root key file has no valid scrypt parameters');
  const passphrase = await askPassphrase(opts, 'the root key file is sealed: a passphrase is needed');
  const kek = await passphraseKey(passphrase, Buffer.from(params.salt, 'base64'), params);
  const plain = open(kek, Buffer.from(file.sealed, 'base64'), FILE_AAD);
  kek.fill(0);
  if (plain === undefined) throw new RootKeyError('STRONGBOX_ROOT_KEY_PASSPHRASE', 'the passphrase does not open the root key file');
  try {
    return { versions: (JSON.parse(plain.toString('utf8')) as StoredVersion[]).map(fromStored), passphrase };
  } finally {
    plain.fill(0);
  }
}

/**
 * Loads the root keyring: from the environment, else from the key file, else (first start)
 * a new key is generated and saved. `created` says whether it was generated.
 */
export async function loadRootKeyring(opts: RootKeyOptions): Promise<{ keyring: RootKeyring; created: boolean }> {
  const used = opts.usedIds === undefined ? undefined : await usedKeyIds(opts.usedIds, opts.legacyDataDir);
  const loaded = await loadOrCreate(opts, used ?? []);
  if (opts.usedIds !== undefined && used !== undefined) await checkRootKeyAgainstData(opts.usedIds, used, loaded.keyring);
  return loaded;
}

async function loadOrCreate(opts: RootKeyOptions, used: readonly string[]): Promise<{ keyring: RootKeyring; created: boolean }> {
  if (opts.envKey !== undefined) {
    const key = Buffer.from(opts.envKey, 'base64');
    if (key.length !== KEY_SIZE) throw new RootKeyError('STRONGBOX_ROOT_KEY_INVALID', 'the root key from the environment is not base64 of 32 bytes');
    return { keyring: keyring([{ version: 1, key, createdAt: new Date(0), id: keyId(key) }]), created: false };
  }
  const path = join(opts.keysDir, ROOT_KEY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) return { keyring: keyring((await decodeFile(text, opts)).versions), created: false };
  if (used.length > 0) {
    throw new RootKeyError('STRONGBOX_ROOT_KEY_MISSING', `no root key in ${opts.keysDir}, but this data directory has used one: refusing to start with a new key`);
  }
  const passphrase = opts.sealNew === true ? await askPassphrase(opts, 'a passphrase is needed to seal the new root key') : undefined;
  const key = randomBytes(KEY_SIZE);
  const first: RootKeyVersion = { version: 1, key, createdAt: new Date(), id: keyId(key) };
  await mkdir(opts.keysDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, await encodeFile([first], passphrase), 0o600);
  return { keyring: keyring([first]), created: true };
}

/** Adds a new version to the key file (sealed again if it was sealed); older versions stay. */
export async function rotateRootKey(opts: RootKeyOptions): Promise<RootKeyring> {
  const path = join(opts.keysDir, ROOT_KEY_FILE);
  const { versions, passphrase } = await decodeFile(await readFile(path, 'utf8'), opts);
  const key = randomBytes(KEY_SIZE);
  const next: RootKeyVersion = { version: Math.max(0, ...versions.map((v) => v.version)) + 1, key, createdAt: new Date(), id: keyId(key) };
  const all = [...versions, next];
  await writeFileAtomic(path, await encodeFile(all, passphrase), 0o600);
  return keyring(all);
}

/**
 * Checks the keyring against the data: every root key version the data has used must be
 * present. Records the keyring's versions the first time (and after a rotation).
 */
async function checkRootKeyAgainstData(store: RootKeyIdStore, used: readonly string[], ring: RootKeyring): Promise<void> {
  const have = new Set(ring.versions.map((v) => v.id));
  const missing = used.filter((id) => !have.has(id));
  if (missing.length > 0) {
    throw new RootKeyError(
      'STRONGBOX_ROOT_KEY_MISSING',
      `this data directory was written with root key ${missing.join(', ')}, which the given root key does not contain: refusing to start (check --keys-dir or STRONGBOX_ROOT_KEY)`,
    );
  }
  const recorded = new Set(used);
  await store.addRootKeyIds(ring.versions.map((v) => v.id).filter((id) => !recorded.has(id)));
}

/**
 * Ids of the root key versions the data has used. A `root-key-ids` file left by an older
 * version is moved into the store first (recorded, then removed).
 */
async function usedKeyIds(store: RootKeyIdStore, legacyDataDir: string | undefined): Promise<string[]> {
  if (legacyDataDir !== undefined) {
    const legacy = join(legacyDataDir, LEGACY_ROOT_KEY_IDS_FILE);
    let text: string | undefined;
    try {
      text = await readFile(legacy, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      await store.addRootKeyIds(text.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
      await unlink(legacy);
    }
  }
  return store.listRootKeyIds();
}
