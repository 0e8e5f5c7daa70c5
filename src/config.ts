import type { BlockList } from 'node:net';
import { resolve } from 'node:path';
import type { CrashAt } from './testing/crash-point.js';
import { ConfigError, resolveSettings, type ConfigFile, type ResolvedSettings, type ServeOptions } from './config-load.js';

export { ConfigError, type ServeOptions } from './config-load.js';

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
  /** Root credentials (the secret only from a file or STRONGBOX_ROOT_SECRET_KEY). */
  readonly rootAccessKey: string | undefined;
  readonly rootSecretKey: string | undefined;
  /** The root key, base64 of 32 bytes, instead of the key file (secret). */
  readonly rootKey: string | undefined;
  /** Opens a sealed root key file, and seals a new one with sealRootKey (secret). */
  readonly rootKeyPassphrase: string | undefined;
  readonly logLevel: string;
  /** Accept SSE-C over plain HTTP (tests only; Amazon refuses it). */
  readonly allowInsecureSseC: boolean;
  /** Proxies whose `X-Forwarded-Proto: https` marks a request as secure; undefined: none. */
  readonly trustedProxies: BlockList | undefined;
  /** The CIDRs behind trustedProxies, for the start-up banner. */
  readonly trustedProxyCidrs: readonly string[];
  /** Where the root key file lives (default `<data>/keys`; may be elsewhere, e.g. another disk). */
  readonly keysDir: string;
  /** Seal a newly generated root key file with rootKeyPassphrase. */
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

export type DefaultEncryption = 'none' | 'AES256';

/**
 * Build the config from command-line options, the environment (read here only) and the config
 * file: flags over environment over file over defaults (the table in src/config-settings.ts).
 */
export function loadConfig(opts: ServeOptions, env: NodeJS.ProcessEnv, file?: ConfigFile): Config {
  return configFrom(resolveSettings(opts, env, file));
}

/** The typed, frozen config from validated settings, with the checks that span two of them. */
export function configFrom({ values: v }: ResolvedSettings): Config {
  if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined)) throw new ConfigError('tls-cert/tls-key', 'give both or neither');
  if ((v['root-access-key'] === undefined) !== (v['root-secret-key'] === undefined)) {
    throw new ConfigError('root-access-key/root-secret-key', 'set both or neither');
  }
  const dataDir = resolve(v.data);
  const proxies = v['trust-proxy'];
  return Object.freeze({
    dataDir,
    host: v.listen.host,
    port: v.listen.port,
    tls: !v.http,
    tlsCertFile: v['tls-cert'] === undefined ? undefined : resolve(v['tls-cert']),
    tlsKeyFile: v['tls-key'] === undefined ? undefined : resolve(v['tls-key']),
    domain: v.domain,
    region: v.region,
    rootAccessKey: v['root-access-key'],
    rootSecretKey: v['root-secret-key'],
    rootKey: v['root-key'],
    rootKeyPassphrase: v['root-key-passphrase'],
    logLevel: v['log-level'],
    allowInsecureSseC: v['allow-insecure-sse-c'],
    trustedProxies: proxies.list,
    trustedProxyCidrs: proxies.cidrs,
    keysDir: resolve(v['keys-dir'] ?? resolve(dataDir, 'keys')),
    sealRootKey: v['seal-root-key'],
    accountId: v['account-id'],
    defaultEncryption: v['default-encryption'],
    blockSseCOnNewBuckets: v['block-sse-c-on-new-buckets'],
    kmsAliases: v['kms-alias'],
    minFreeSpace: v['min-free-space'],
    reclaimGraceMs: v['reclaim-grace'],
    connections: Object.freeze({
      bodyIdleTimeoutMs: v['body-idle-timeout'],
      headersTimeoutMs: v['header-timeout'],
      keepAliveTimeoutMs: v['keep-alive-timeout'],
      maxRequestsPerConnection: v['max-requests-per-connection'],
      maxConnectionsPerClient: v['max-connections-per-client'],
      maxRequestsInFlight: v['max-requests-in-flight'],
    }),
    testCrashPoint: v['crash-at'],
  });
}

/** The limits when nothing is configured (the table's defaults). */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = loadConfig({}, {}).connections;
