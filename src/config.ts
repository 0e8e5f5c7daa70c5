import { BlockList, isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseSize } from './store/free-space.js';
import { DEFAULT_RECLAIM_GRACE_MS } from './store/reclaim.js';
import { parseCrashAt, CRASH_POINTS, type CrashAt } from './testing/crash-point.js';

/** Everything the server needs to know, loaded once at start and passed down frozen. */
export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** false only with --http. */
  readonly tls: boolean;
  /** PEM files; when absent with tls, the server uses (and on first start creates) its own CA. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Virtual-hosted–style addressing under this domain (`bucket.domain`). */
  readonly domain: string | undefined;
  readonly region: string;
  /** Root credentials from STRONGBOX_ROOT_ACCESS_KEY / STRONGBOX_ROOT_SECRET_KEY. */
  readonly rootAccessKey: string | undefined;
  readonly rootSecretKey: string | undefined;
  readonly logLevel: string;
  /** Accept SSE-C over plain HTTP (tests only; Amazon refuses it). */
  readonly allowInsecureSseC: boolean;
  /** Proxies whose `X-Forwarded-Proto: https` marks a request as secure; undefined: none. */
  readonly trustedProxies: BlockList | undefined;
  /** The CIDRs behind trustedProxies, for the start-up banner. */
  readonly trustedProxyCidrs: readonly string[];
  /** Where the root key file lives (default `<data>/keys`; may be elsewhere, e.g. another disk). */
  readonly keysDir: string;
  /** Seal a newly generated root key file with STRONGBOX_ROOT_KEY_PASSPHRASE. */
  readonly sealRootKey: boolean;
  /** The account in ARNs (KMS keys, policy principals): one account per server, as there is no IAM yet. */
  readonly accountId: string;
  /**
   * What a write without SSE headers gets in a bucket without an explicit (PutBucketEncryption)
   * configuration: SSE-S3 as on Amazon since 2023, or `none` (stored as sent).
   */
  readonly defaultEncryption: DefaultEncryption;
  /** New buckets block SSE-C writes (Amazon's default since April 2026, ../shared/spec/aws-sse.md §3). */
  readonly blockSseCOnNewBuckets: boolean;
  /** `--kms-alias NAME`: customer keys of the built-in KMS ensured at start behind `alias/NAME`. */
  readonly kmsAliases: readonly string[];
  /**
   * `--min-free-space SIZE`: new data is refused (507 InsufficientStorage) when a store's
   * volume has fewer free bytes; undefined: the larger of 256 MiB and 1 % of each volume.
   */
  readonly minFreeSpace: number | undefined;
  /** Timeouts and per-client caps of the listener (issue 14): see {@link ConnectionLimits}. */
  readonly connections: ConnectionLimits;
  /**
   * `--reclaim-grace SECONDS`: how long a blob an overwrite or delete freed (or a crashed write
   * left) stays before it is removed; a GET that started before the overwrite finishes within it.
   */
  readonly reclaimGraceMs: number;
  /**
   * Hidden `--crash-at POINT[:N]`: SIGKILL the server the Nth time it reaches a named point
   * (src/testing/crash-point.ts), for the crash harness. Undefined outside tests.
   */
  readonly testCrashPoint: CrashAt | undefined;
}

/** What one client may hold of the listener; docs/errors.md has the table of limits. */
export interface ConnectionLimits {
  /** A request body that sends nothing for this long is cut off with 400 RequestTimeout. */
  readonly bodyIdleTimeoutMs: number;
  /** Request headers (and the TLS handshake) must arrive within this. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Requests served on one connection before it is closed; 0: no limit. */
  readonly maxRequestsPerConnection: number;
  /**
   * Open connections per client address (behind a --trust-proxy proxy: requests in flight per
   * forwarded address, never per proxy); beyond it, 503 SlowDown. 0: no limit.
   */
  readonly maxConnectionsPerClient: number;
  /** Requests the process serves at once, all clients together; beyond it, 503 SlowDown. 0: no limit. */
  readonly maxRequestsInFlight: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  bodyIdleTimeoutMs: 20_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  maxRequestsPerConnection: 0,
  maxConnectionsPerClient: 256,
  maxRequestsInFlight: 1024,
});

/** Seconds (fractions allowed) as milliseconds, at least 1 ms and at most a day. */
function parseSeconds(flag: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || n * 1000 < 1 || n > 86_400) {
    throw new ConfigError(flag, `expected a number of seconds between 0.001 and 86400, got "${value}"`);
  }
  return Math.round(n * 1000);
}

/** A whole number from 0 to `max` (0 meaning no limit). */
function parseCount(flag: string, value: string | undefined, fallback: number, max = 1_000_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > max) throw new ConfigError(flag, `expected a whole number from 0 to ${max} (0: no limit), got "${value}"`);
  return n;
}

function parseConnectionLimits(opts: ServeOptions): ConnectionLimits {
  const d = DEFAULT_CONNECTION_LIMITS;
  return Object.freeze({
    bodyIdleTimeoutMs: parseSeconds('--body-idle-timeout', opts.bodyIdleTimeout, d.bodyIdleTimeoutMs),
    headersTimeoutMs: parseSeconds('--header-timeout', opts.headerTimeout, d.headersTimeoutMs),
    keepAliveTimeoutMs: parseSeconds('--keep-alive-timeout', opts.keepAliveTimeout, d.keepAliveTimeoutMs),
    maxRequestsPerConnection: parseCount('--max-requests-per-connection', opts.maxRequestsPerConnection, d.maxRequestsPerConnection),
    maxConnectionsPerClient: parseCount('--max-connections-per-client', opts.maxConnectionsPerClient, d.maxConnectionsPerClient),
    maxRequestsInFlight: parseCount('--max-requests-in-flight', opts.maxRequestsInFlight, d.maxRequestsInFlight),
  });
}

export type DefaultEncryption = 'none' | 'AES256';

export interface ServeOptions {
  data?: string;
  listen?: string;
  http?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  domain?: string;
  region?: string;
  logLevel?: string;
  allowInsecureSseC?: boolean;
  trustProxy?: string[];
  keysDir?: string;
  sealRootKey?: boolean;
  accountId?: string;
  defaultEncryption?: string;
  blockSseCOnNewBuckets?: boolean;
  kmsAlias?: string[];
  minFreeSpace?: string;
  bodyIdleTimeout?: string;
  headerTimeout?: string;
  keepAliveTimeout?: string;
  maxRequestsPerConnection?: string;
  maxConnectionsPerClient?: string;
  maxRequestsInFlight?: string;
  reclaimGrace?: string;
  /** Tests only (hidden flag). */
  crashAt?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('--listen', `expected HOST:PORT, got "${listen}"`);
  }
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** `--trust-proxy` values: CIDRs or single addresses, repeated or comma-separated. */
function parseTrustedProxies(values: readonly string[]): { list: BlockList | undefined; cidrs: string[] } {
  const cidrs = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (cidrs.length === 0) return { list: undefined, cidrs };
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr = '', bits] = cidr.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || !/^\d*$/.test(bits ?? '') || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new ConfigError('--trust-proxy', `expected an address or CIDR such as 10.0.0.0/8, got "${cidr}"`);
    }
    list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { list, cidrs };
}

/** The hidden `--crash-at POINT[:N]` of the crash harness. */
function parseTestCrashPoint(value: string | undefined): CrashAt | undefined {
  if (value === undefined) return undefined;
  const at = parseCrashAt(value);
  if (at === undefined) throw new ConfigError('--crash-at', `expected POINT or POINT:N with POINT one of ${CRASH_POINTS.join(', ')}, got "${value}"`);
  return at;
}

/** Build the config from command-line options and the environment (read here only). */
export function loadConfig(opts: ServeOptions, env: NodeJS.ProcessEnv): Config {
  const { host, port } = parseListen(opts.listen ?? env.STRONGBOX_LISTEN ?? '127.0.0.1:9000');
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert/--tls-key', 'give both or neither');
  }
  const rootAccessKey = env.STRONGBOX_ROOT_ACCESS_KEY || undefined;
  const rootSecretKey = env.STRONGBOX_ROOT_SECRET_KEY || undefined;
  if ((rootAccessKey === undefined) !== (rootSecretKey === undefined)) {
    throw new ConfigError('STRONGBOX_ROOT_ACCESS_KEY/STRONGBOX_ROOT_SECRET_KEY', 'set both or neither');
  }
  if (rootAccessKey !== undefined && !/^[A-Za-z0-9]{3,128}$/.test(rootAccessKey)) {
    throw new ConfigError('STRONGBOX_ROOT_ACCESS_KEY', 'use 3-128 letters and digits');
  }
  if (rootSecretKey !== undefined && rootSecretKey.length < 8) {
    throw new ConfigError('STRONGBOX_ROOT_SECRET_KEY', 'use at least 8 characters');
  }
  const proxies = parseTrustedProxies(opts.trustProxy ?? (env.STRONGBOX_TRUST_PROXY ? [env.STRONGBOX_TRUST_PROXY] : []));
  const domain = opts.domain?.toLowerCase().replace(/\.$/, '');
  const accountId = opts.accountId ?? env.STRONGBOX_ACCOUNT_ID ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new ConfigError('--account-id', `expected 12 digits, got "${accountId}"`);
  const dataDir = resolve(opts.data ?? env.STRONGBOX_DATA ?? './data');
  const defaultEncryption = opts.defaultEncryption ?? 'AES256';
  if (defaultEncryption !== 'none' && defaultEncryption !== 'AES256') {
    throw new ConfigError('--default-encryption', `expected none or AES256, got "${defaultEncryption}"`);
  }
  const kmsAliases = (opts.kmsAlias ?? []).map((a) => a.replace(/^alias\//, ''));
  for (const a of kmsAliases) {
    // AWS alias rules (alias/ + [a-zA-Z0-9/_-], at most 256 in all); alias/aws/ is AWS's.
    if (!/^[a-zA-Z0-9/_-]{1,250}$/.test(a) || a.startsWith('aws/')) {
      throw new ConfigError('--kms-alias', `expected a name of letters, digits, "/", "_" and "-" not starting with "aws/", got "${a}"`);
    }
  }
  const minFreeSpace = opts.minFreeSpace === undefined ? undefined : parseSize(opts.minFreeSpace);
  if (opts.minFreeSpace !== undefined && minFreeSpace === undefined) {
    throw new ConfigError('--min-free-space', `expected a size such as 512MiB, 2GiB or 1000000, got "${opts.minFreeSpace}"`);
  }
  return Object.freeze({
    dataDir,
    host,
    port,
    tls: !opts.http,
    tlsCertFile: opts.tlsCert === undefined ? undefined : resolve(opts.tlsCert),
    tlsKeyFile: opts.tlsKey === undefined ? undefined : resolve(opts.tlsKey),
    domain: domain === '' ? undefined : domain,
    region: opts.region ?? env.STRONGBOX_REGION ?? 'us-east-1',
    rootAccessKey,
    rootSecretKey,
    logLevel: opts.logLevel ?? env.STRONGBOX_LOG_LEVEL ?? 'info',
    allowInsecureSseC: opts.allowInsecureSseC === true,
    trustedProxies: proxies.list,
    trustedProxyCidrs: proxies.cidrs,
    keysDir: resolve(opts.keysDir ?? env.STRONGBOX_KEYS_DIR ?? resolve(dataDir, 'keys')),
    sealRootKey: opts.sealRootKey === true,
    accountId,
    defaultEncryption,
    blockSseCOnNewBuckets: opts.blockSseCOnNewBuckets === true,
    kmsAliases: Object.freeze([...new Set(kmsAliases)]),
    minFreeSpace,
    connections: parseConnectionLimits(opts),
    reclaimGraceMs: parseSeconds('--reclaim-grace', opts.reclaimGrace, DEFAULT_RECLAIM_GRACE_MS),
    testCrashPoint: parseTestCrashPoint(opts.crashAt),
  });
}
