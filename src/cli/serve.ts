import { Option, type Command } from 'commander';
import { configFrom } from '../config.js';
import { ENV_PREFIX, namesOf, readConfigFile, renderEffectiveConfig, resolveSettings, type ServeOptions } from '../config-load.js';
import { SETTINGS, SETTING_NAMES, type Setting } from '../config-settings.js';
import { createLogger } from '../log.js';
import { openStores, closeStores } from '../store/open-stores.js';
import { BLOB_WRITER_REFRESH_MS } from '../store/blob/types.js';
import { ensureTlsMaterial } from '../server/tls.js';
import { startServer } from '../server/server.js';
import { ensureRootUser, rootCredentialsPath } from '../server/credentials.js';
import { ROOT_KEY_FILE, loadRootKeyring } from '../crypto/root-key.js';
import { join } from 'node:path';
import { ensureKmsAlias, openKms } from '../kms/index.js';
import { resealUnderCurrentRootKey } from '../maintenance/root-key-reseal.js';

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('run the S3 server (HTTPS with a local CA by default)')
    .option('--config <file>', `TOML config file (also ${ENV_PREFIX}CONFIG); see docs/configuration.md`)
    .option('--print-config', 'print the effective configuration with the source of each value (secrets redacted) and exit')
    .addHelpText('after', `\nEvery option is also an environment variable (${ENV_PREFIX}UPPER_SNAKE) and a key in the config file.\nSecrets come only from files or the environment: ${secretNames()}.\n`)
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
  for (const option of settingOptions()) command.addOption(option);
}

/** One commander option per row of the settings table (src/config-settings.ts). */
export function settingOptions(): Option[] {
  return SETTING_NAMES.map((name) => {
    const s: Setting = SETTINGS[name];
    const n = namesOf(name);
    const def = s.kind === 'value' ? (s.defaultText ?? s.default) : undefined;
    const notes = [s.kind === 'list' ? 'repeatable' : undefined, def === undefined ? undefined : `default ${def}`, `env ${n.env}`].filter((x) => x !== undefined);
    const help = `${s.help} (${notes.join('; ')})`;
    const option =
      s.kind === 'flag' ? new Option(n.flag, help)
      : s.kind === 'list' ? new Option(`${n.flag} <${s.arg}...>`, help)
      : s.kind === 'secret' ? new Option(`${n.flag} <file>`, `file holding the ${s.help} (env ${n.envFile ?? ''}, or the value itself in ${n.env})`)
      : new Option(`${n.flag} <${s.arg}>`, help);
    return s.hidden === true ? option.hideHelp() : option;
  });
}

const secretNames = () =>
  SETTING_NAMES.filter((n) => SETTINGS[n].kind === 'secret')
    .map((n) => `${namesOf(n).env} or ${namesOf(n).envFile ?? ''}`)
    .join(', ');

async function serve(opts: ServeOptions): Promise<void> {
  const configPath = typeof opts.config === 'string' ? opts.config : process.env[`${ENV_PREFIX}CONFIG`] || undefined;
  const settings = resolveSettings(opts, process.env, configPath === undefined ? undefined : readConfigFile(configPath));
  const config = configFrom(settings);
  if (opts.printConfig === true) {
    process.stdout.write(`# strongbox serve: effective configuration${configPath === undefined ? '' : ` (config file ${configPath})`}\n${renderEffectiveConfig(settings)}`);
    return;
  }
  const log = createLogger(config.logLevel);
  const stores = await openStores(config.dataDir, {
    minFreeSpace: config.minFreeSpace,
    meta: { reclaimGraceMs: config.reclaimGraceMs },
    // A live writer's temporary file is written at least every BLOB_WRITER_REFRESH_MS while its
    // body arrives, and a body idle for the timeout is cut off: older ones were abandoned.
    reclaim: { unfinishedAfterMs: Math.max(config.reclaimGraceMs, config.connections.bodyIdleTimeoutMs + 2 * BLOB_WRITER_REFRESH_MS) },
  });
  // Before anything is served: a missing or different root key stops the start (issue 4).
  let rootKey: Awaited<ReturnType<typeof loadRootKeyring>>;
  try {
    rootKey = await loadRootKeyring({
      keysDir: config.keysDir,
      usedIds: stores.meta,
      legacyDataDir: config.dataDir,
      envKey: config.rootKey,
      passphrase: () => Promise.resolve(config.rootKeyPassphrase ?? ''),
      sealNew: config.sealRootKey,
    });
  } catch (err) {
    await closeStores(stores);
    throw err;
  }
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
  stores.reclaimer.start((err: unknown) => log.warn({ err }, 'reclaiming blobs failed; the next pass retries'));
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
    lines.push(`  export AWS_ACCESS_KEY_ID=${config.rootAccessKey} AWS_SECRET_ACCESS_KEY=<the configured root secret key>`);
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
