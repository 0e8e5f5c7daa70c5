import { BlockList, isIP } from 'node:net';
import { parseSize } from './store/free-space.js';
import { parseCrashAt, CRASH_POINTS, type CrashAt } from './testing/crash-point.js';

/**
 * The one table of `serve` settings. Each row gives, mechanically (src/config-load.ts):
 * - a flag `--NAME` (a secret gets only `--NAME-file PATH`: no secret is ever on argv),
 * - an environment variable `STRONGBOX_NAME` in upper snake case (a secret also `STRONGBOX_NAME_FILE`),
 * - a key `NAME` in the config file's `[SECTION]` (a secret only `NAME-file`),
 * - its validation (`parse`), its default, and its line in docs/configuration.md.
 * A later setting is one row here.
 */
export const SECTIONS = ['server', 's3', 'storage', 'root', 'limits', 'logging', 'kms', 'testing'] as const;
export type Section = (typeof SECTIONS)[number];

/** A value that fails validation; the loader adds the key and its source. */
export class InvalidSetting extends Error {}

interface Base {
  readonly section: Section;
  readonly help: string;
  /** Tests only: left out of --help and the docs. */
  readonly hidden?: boolean;
}
/** `--name <arg>`; environment and file give one string (a TOML number is read as its text). */
export interface ValueSetting<T> extends Base {
  readonly kind: 'value';
  readonly arg: string;
  readonly default: string | undefined;
  /** How the default reads in help and docs when it is computed (`<data>/keys`). */
  readonly defaultText?: string;
  readonly parse: (raw: string) => T;
}
/** `--name`; environment `true`/`false`/`1`/`0`, file a TOML boolean; default false. */
export interface FlagSetting extends Base {
  readonly kind: 'flag';
  readonly parse: (raw: boolean) => boolean;
}
/** `--name <arg...>` (repeatable); environment comma-separated; file an array of strings. */
export interface ListSetting<T> extends Base {
  readonly kind: 'list';
  readonly arg: string;
  readonly parse: (items: readonly string[]) => T;
}
/** Only from a file (`--name-file`, `STRONGBOX_NAME_FILE`, `name-file = PATH`) or `STRONGBOX_NAME`. */
export interface SecretSetting<T> extends Base {
  readonly kind: 'secret';
  readonly parse: (raw: string) => T;
}
export type Setting = ValueSetting<unknown> | FlagSetting | ListSetting<unknown> | SecretSetting<unknown>;

const value = <T, D extends string | undefined>(s: Omit<ValueSetting<T>, 'kind' | 'default'> & { default: D }) =>
  ({ kind: 'value', ...s }) as ValueSetting<D extends string ? T : T | undefined>;
const flag = (s: Omit<FlagSetting, 'kind' | 'parse'>): FlagSetting => ({ kind: 'flag', parse: (b) => b, ...s });
const list = <T>(s: Omit<ListSetting<T>, 'kind'>): ListSetting<T> => ({ kind: 'list', ...s });
const secret = <T>(s: Omit<SecretSetting<T>, 'kind'>) => ({ kind: 'secret', ...s }) as SecretSetting<T | undefined>;

const text = (raw: string) => raw;

/** Seconds (fractions allowed) as milliseconds, at least 1 ms and at most a day. */
function seconds(raw: string): number {
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(n) || n * 1000 < 1 || n > 86_400) {
    throw new InvalidSetting(`expected a number of seconds between 0.001 and 86400, got "${raw}"`);
  }
  return Math.round(n * 1000);
}

/** A whole number from 0 to 1,000,000 (0 meaning no limit). */
function count(raw: string): number {
  const max = 1_000_000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > max) throw new InvalidSetting(`expected a whole number from 0 to ${max} (0: no limit), got "${raw}"`);
  return n;
}

function listen(raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(raw);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidSetting(`expected HOST:PORT, got "${raw}"`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** CIDRs or single addresses, repeated or comma-separated. */
function trustedProxies(values: readonly string[]): { list: BlockList | undefined; cidrs: readonly string[] } {
  const cidrs = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (cidrs.length === 0) return { list: undefined, cidrs };
  const blocks = new BlockList();
  for (const cidr of cidrs) {
    const [addr = '', bits] = cidr.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || !/^\d*$/.test(bits ?? '') || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new InvalidSetting(`expected an address or CIDR such as 10.0.0.0/8, got "${cidr}"`);
    }
    blocks.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { list: blocks, cidrs };
}

function kmsAliases(values: readonly string[]): readonly string[] {
  const names = values.map((a) => a.replace(/^alias\//, ''));
  for (const a of names) {
    // AWS alias rules (alias/ + [a-zA-Z0-9/_-], at most 256 in all); alias/aws/ is AWS's.
    if (!/^[a-zA-Z0-9/_-]{1,250}$/.test(a) || a.startsWith('aws/')) {
      throw new InvalidSetting(`expected a name of letters, digits, "/", "_" and "-" not starting with "aws/", got "${a}"`);
    }
  }
  return Object.freeze([...new Set(names)]);
}

function crashAt(raw: string): CrashAt {
  const at = parseCrashAt(raw);
  if (at === undefined) throw new InvalidSetting(`expected POINT or POINT:N with POINT one of ${CRASH_POINTS.join(', ')}, got "${raw}"`);
  return at;
}

export const SETTINGS = {
  // [server]
  listen: value({ section: 'server', arg: 'host:port', default: '127.0.0.1:9000', help: 'address to listen on', parse: listen }),
  http: flag({ section: 'server', help: 'serve plain HTTP instead of HTTPS' }),
  'tls-cert': value({ section: 'server', arg: 'file', default: undefined, help: 'PEM certificate chain to serve instead of the generated one', parse: text }),
  'tls-key': value({ section: 'server', arg: 'file', default: undefined, help: 'PEM private key for tls-cert', parse: text }),
  domain: value({
    section: 'server',
    arg: 'domain',
    default: undefined,
    help: 'enable virtual-hosted-style addressing: <bucket>.<domain>',
    parse: (raw) => raw.toLowerCase().replace(/\.$/, '') || undefined,
  }),
  'trust-proxy': list({
    section: 'server',
    arg: 'cidr',
    help: 'reverse proxies (addresses or CIDRs) whose X-Forwarded-Proto: https counts as a secure connection',
    parse: trustedProxies,
  }),
  // [s3]
  region: value({ section: 's3', arg: 'region', default: 'us-east-1', help: 'region reported to clients', parse: text }),
  'account-id': value({
    section: 's3',
    arg: 'id',
    default: '000000000000',
    help: 'the 12-digit account id in ARNs of KMS keys and policies',
    parse: (raw) => {
      if (!/^\d{12}$/.test(raw)) throw new InvalidSetting(`expected 12 digits, got "${raw}"`);
      return raw;
    },
  }),
  'default-encryption': value({
    section: 's3',
    arg: 'mode',
    default: 'AES256',
    help: 'what writes without SSE headers get in buckets without PutBucketEncryption: AES256 (SSE-S3, as Amazon) or none (stored unencrypted)',
    parse: (raw): 'none' | 'AES256' => {
      if (raw !== 'none' && raw !== 'AES256') throw new InvalidSetting(`expected none or AES256, got "${raw}"`);
      return raw;
    },
  }),
  'block-sse-c-on-new-buckets': flag({ section: 's3', help: "new buckets refuse SSE-C writes (Amazon's default since April 2026); PutBucketEncryption can lift it" }),
  'allow-insecure-sse-c': flag({ section: 's3', help: 'FOR TESTS ONLY: accept SSE-C keys over plain HTTP, where anyone on the path can read them' }),
  // [storage]
  data: value({ section: 'storage', arg: 'dir', default: './data', help: 'data directory: metadata, blobs, TLS material, root credentials', parse: text }),
  'min-free-space': value({
    section: 'storage',
    arg: 'size',
    default: undefined,
    defaultText: 'the larger of 256MiB and 1% of the volume',
    help: 'refuse new data with 507 InsufficientStorage below this much free space (512MiB, 2GiB …)',
    parse: (raw) => {
      const n = parseSize(raw);
      if (n === undefined) throw new InvalidSetting(`expected a size such as 512MiB, 2GiB or 1000000, got "${raw}"`);
      return n;
    },
  }),
  'reclaim-grace': value({
    section: 'storage',
    arg: 'seconds',
    default: '600',
    help: 'keep blobs freed by overwrites and deletes this long before removing them (reads in progress finish)',
    parse: seconds,
  }),
  // [root]
  'keys-dir': value({
    section: 'root',
    arg: 'dir',
    default: undefined,
    defaultText: '<data>/keys',
    help: 'where the root key file lives; keep a backup of it apart from the data',
    parse: text,
  }),
  'seal-root-key': flag({ section: 'root', help: 'seal a newly generated root key file with the root-key-passphrase' }),
  'root-access-key': value({
    section: 'root',
    arg: 'id',
    default: undefined,
    defaultText: 'generated on first start',
    help: 'access key id of the root user (3-128 letters and digits), with root-secret-key',
    parse: (raw) => {
      if (!/^[A-Za-z0-9]{3,128}$/.test(raw)) throw new InvalidSetting('use 3-128 letters and digits');
      return raw;
    },
  }),
  'root-secret-key': secret({
    section: 'root',
    help: 'secret access key of the root user (at least 8 characters), with root-access-key',
    parse: (raw) => {
      if (raw.length < 8) throw new InvalidSetting('use at least 8 characters');
      return raw;
    },
  }),
  'root-key': secret({ section: 'root', help: 'the root key, base64 of 32 bytes (instead of the key file)', parse: text }),
  'root-key-passphrase': secret({ section: 'root', help: 'opens a sealed root key file (and seals a new one with seal-root-key)', parse: text }),
  // [limits]
  'body-idle-timeout': value({ section: 'limits', arg: 'seconds', default: '20', help: 'cut off a request body that sends nothing for this long (400 RequestTimeout)', parse: seconds }),
  'header-timeout': value({ section: 'limits', arg: 'seconds', default: '20', help: 'close a connection whose request headers (or TLS handshake) take longer', parse: seconds }),
  'keep-alive-timeout': value({ section: 'limits', arg: 'seconds', default: '65', help: 'close an idle keep-alive connection after this', parse: seconds }),
  'max-requests-per-connection': value({ section: 'limits', arg: 'n', default: '0', help: 'close a connection after this many requests (0: no limit)', parse: count }),
  'max-connections-per-client': value({
    section: 'limits',
    arg: 'n',
    default: '256',
    help: 'connections per client address, counted per forwarded address behind trust-proxy (503 SlowDown beyond; 0: no limit)',
    parse: count,
  }),
  'max-requests-in-flight': value({
    section: 'limits',
    arg: 'n',
    default: '1024',
    help: 'requests served at once by this process, all clients together (503 SlowDown beyond; 0: no limit)',
    parse: count,
  }),
  // [logging]
  'log-level': value({
    section: 'logging',
    arg: 'level',
    default: 'info',
    help: 'pino log level (fatal, error, warn, info, debug, trace, silent)',
    parse: (raw) => {
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) {
        throw new InvalidSetting(`expected fatal, error, warn, info, debug, trace or silent, got "${raw}"`);
      }
      return raw;
    },
  }),
  // [kms]
  'kms-alias': list({
    section: 'kms',
    arg: 'name',
    help: 'make sure a built-in KMS key exists behind alias/<name> (created at start if missing)',
    parse: kmsAliases,
  }),
  // [testing]: SIGKILL at a named point (src/testing/crash-point.ts, the crash harness).
  'crash-at': value({ section: 'testing', arg: 'point[:n]', default: undefined, hidden: true, help: 'TESTS ONLY: SIGKILL the server the Nth time it reaches POINT', parse: crashAt }),
} as const;

export type SettingName = keyof typeof SETTINGS;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
/** The parsed value of every setting. */
export type SettingValues = { -readonly [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };
