import { Option, type Command } from 'commander';
import { loadConfig, type ServeOptions } from '../config.js';
import { createLogger } from '../log.js';
import { openStores, closeStores } from '../store/open-stores.js';
import { ensureTlsMaterial } from '../server/tls.js';
import { startServer } from '../server/server.js';
import { ensureRootUser, rootCredentialsPath } from '../server/credentials.js';
import { ROOT_KEY_FILE, loadRootKeyring } from '../crypto/root-key.js';
import { join } from 'node:path';
import { ensureKmsAlias, openKms } from '../kms/index.js';
import { resealUnderCurrentRootKey } from '../maintenance/root-key-reseal.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the S3 server (HTTPS with a local CA by default)')
    .option('--data <dir>', 'data directory: metadata, blobs, TLS material, root credentials', './data')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:9000')
    .option('--http', 'serve plain HTTP instead of HTTPS')
    .option('--tls-cert <file>', 'PEM certificate chain to serve instead of the generated one')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--domain <domain>', 'enable virtual-hosted-style addressing: <bucket>.<domain>')
    .option('--region <region>', 'region reported to clients', 'us-east-1')
    .option('--log-level <level>', 'pino log level (fatal, error, warn, info, debug)', 'info')
    .option('--trust-proxy <cidr...>', 'reverse proxies (addresses or CIDRs) whose X-Forwarded-Proto: https counts as a secure connection')
    .option('--allow-insecure-sse-c', 'FOR TESTS ONLY: accept SSE-C keys over plain HTTP, where anyone on the path can read them')
    .option('--keys-dir <dir>', 'where the root key file lives (default <data>/keys); keep a backup of it apart from the data')
    .option('--account-id <id>', 'the 12-digit account id in ARNs of KMS keys and policies (default 000000000000, or STRONGBOX_ACCOUNT_ID)')
    .option('--seal-root-key', 'seal a newly generated root key file with the passphrase in STRONGBOX_ROOT_KEY_PASSPHRASE')
    .option('--default-encryption <mode>', 'what writes without SSE headers get in buckets without PutBucketEncryption: AES256 (SSE-S3, as Amazon) or none (stored unencrypted)', 'AES256')
    .option('--kms-alias <name...>', 'make sure a built-in KMS key exists behind alias/<name> (created at start if missing; repeatable)')
    .option('--block-sse-c-on-new-buckets', "new buckets refuse SSE-C writes (Amazon's default since April 2026); PutBucketEncryption can lift it")
    .option('--min-free-space <size>', 'refuse new data with 507 InsufficientStorage below this much free space (512MiB, 2GiB …; default the larger of 256MiB and 1% of the volume)')
    .option('--body-idle-timeout <seconds>', 'cut off a request body that sends nothing for this long (400 RequestTimeout)', '20')
    .option('--header-timeout <seconds>', 'close a connection whose request headers (or TLS handshake) take longer', '20')
    .option('--keep-alive-timeout <seconds>', 'close an idle keep-alive connection after this', '65')
    .option('--max-requests-per-connection <n>', 'close a connection after this many requests (0: no limit)', '0')
    .option('--max-connections-per-client <n>', 'connections per client address, counted per forwarded address behind --trust-proxy (503 SlowDown beyond; 0: no limit)', '256')
    .option('--max-requests-in-flight <n>', 'requests served at once by this process, all clients together (503 SlowDown beyond; 0: no limit)', '1024')
    // Tests only, hidden: SIGKILL at a named point (src/testing/crash-point.ts, the crash harness).
    .addOption(new Option('--crash-at <point[:n]>', 'TESTS ONLY: SIGKILL the server the Nth time it reaches POINT').hideHelp())
    .addHelpText(
      'after',
      '\nEnvironment:\n' +
        '  STRONGBOX_ROOT_ACCESS_KEY, STRONGBOX_ROOT_SECRET_KEY   root credentials (otherwise generated on first start)\n' +
        '  STRONGBOX_ROOT_KEY              the root key, base64 of 32 bytes (instead of the key file)\n' +
        '  STRONGBOX_ROOT_KEY_PASSPHRASE   opens a sealed root key file (and seals a new one with --seal-root-key)\n',
    )
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

async function serve(opts: ServeOptions): Promise<void> {
  const config = loadConfig(opts, process.env);
  const log = createLogger(config.logLevel);
  // Before anything is served: a missing or different root key stops the start (issue 4).
  const rootKey = await loadRootKeyring({
    keysDir: config.keysDir,
    dataDir: config.dataDir,
    envKey: process.env.STRONGBOX_ROOT_KEY || undefined,
    passphrase: () => Promise.resolve(process.env.STRONGBOX_ROOT_KEY_PASSPHRASE ?? ''),
    sealNew: config.sealRootKey,
  });
  const stores = await openStores(config.dataDir, { minFreeSpace: config.minFreeSpace });
  const root = await ensureRootUser(
    stores.meta,
    config.dataDir,
    config.rootAccessKey && config.rootSecretKey ? { accessKeyId: config.rootAccessKey, secretAccessKey: config.rootSecretKey } : undefined,
    new Date(),
  );
  const tls = config.tls
    ? await ensureTlsMaterial(config.dataDir, {
        ...(config.tlsCertFile === undefined ? {} : { certFile: config.tlsCertFile }),
        ...(config.tlsKeyFile === undefined ? {} : { keyFile: config.tlsKeyFile }),
        hostnames: config.domain === undefined ? [] : [config.domain, `*.${config.domain}`],
      })
    : undefined;
  const kms = await openKms({ meta: stores.meta, rootKey: rootKey.keyring, region: config.region, accountId: config.accountId, now: () => new Date() });
  const kmsAliases: { name: string; keyArn: string; created: boolean }[] = [];
  for (const name of config.kmsAliases) kmsAliases.push({ name, ...(await ensureKmsAlias(kms, name)) });
  const running = await startServer(config, stores, { rootKey: rootKey.keyring, kms }, log, tls);
  // Data keys under an older root key version move to the newest one while the server serves.
  void resealUnderCurrentRootKey({ meta: stores.meta, rootKey: rootKey.keyring, log, resealOthers: () => kms.resealMaterials(), config }).catch((err: unknown) => log.error({ err }, 'root key re-seal failed; it runs again at the next start'));
  const endpoint = running.url.replace('://127.0.0.1:', '://localhost:').replace('://[::1]:', '://localhost:');
  const lines = [
    '',
    `Strongbox is serving S3 on ${running.url}${tls ? '' : '  (plain HTTP)'}`,
    `  data: ${config.dataDir}`,
    '',
    'Point boto3 and the AWS CLI at it:',
    `  export AWS_ENDPOINT_URL=${endpoint}${tls?.caFile ? ` AWS_CA_BUNDLE=${tls.caFile}` : ''}`,
  ];
  if (root.created) {
    lines.push(`  export AWS_ACCESS_KEY_ID=${root.user.accessKeyId} AWS_SECRET_ACCESS_KEY=${root.user.secretAccessKey}`);
  } else if (config.rootAccessKey === undefined) {
    lines.push(`  export $(cat ${rootCredentialsPath(config.dataDir)})`);
  } else {
    lines.push('  export AWS_ACCESS_KEY_ID=$STRONGBOX_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$STRONGBOX_ROOT_SECRET_KEY');
  }
  lines.push('  (AWS CLI v2.9 ignores AWS_ENDPOINT_URL: pass --endpoint-url instead)', '');
  if (root.created) {
    lines.push(`The root credentials above are shown once; they are saved (mode 0600) in ${rootCredentialsPath(config.dataDir)}.`, '');
  }
  if (rootKey.created) {
    lines.push(
      `A new root key was generated in ${join(config.keysDir, ROOT_KEY_FILE)}${config.sealRootKey ? ' (sealed with your passphrase)' : ''}.`,
      'Back it up apart from the data: objects encrypted by the server (SSE-S3, KMS) cannot be read without it.',
      '',
    );
  }
  if (config.trustedProxyCidrs.length > 0) {
    lines.push(`Trusting X-Forwarded-Proto from: ${config.trustedProxyCidrs.join(', ')}`, '');
  }
  if (config.defaultEncryption === 'none') {
    lines.push('Objects written without SSE headers are stored unencrypted, unless their bucket has a default encryption (--default-encryption none).', '');
  }
  for (const a of kmsAliases) lines.push(`KMS key alias/${a.name}${a.created ? ' (created)' : ''}: ${a.keyArn}`);
  if (kmsAliases.length > 0) lines.push('');
  if (config.blockSseCOnNewBuckets) lines.push('New buckets block SSE-C writes (--block-sse-c-on-new-buckets).', '');
  process.stdout.write(lines.join('\n') + '\n');
  if (config.allowInsecureSseC) {
    const warning = 'WARNING: --allow-insecure-sse-c: SSE-C keys are accepted over plain HTTP and can be read by anyone on the network path. Use this for tests only.';
    process.stderr.write(`\n${'!'.repeat(78)}\n${warning}\n${'!'.repeat(78)}\n\n`);
    log.warn('insecure SSE-C allowed (--allow-insecure-sse-c): customer keys may travel over plain HTTP');
  }
  if (config.testCrashPoint !== undefined) {
    log.warn({ crashAt: config.testCrashPoint }, 'TESTS ONLY: --crash-at: this server kills itself at a named point');
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void running
      .close()
      .then(() => closeStores(stores))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
