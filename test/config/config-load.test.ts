import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../src/config.js';
import { namesOf, renderEffectiveConfig, resolveSettings, type ConfigFile } from '../../src/config-load.js';
import { SETTINGS, SETTING_NAMES } from '../../src/config-settings.js';
import { renderConfigReference } from '../../src/config-docs.js';
import { registerServe, settingOptions } from '../../src/cli/serve.js';

/** The repository root, from dist/test/config. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const toml = (text: string, path = '/etc/strongbox.toml'): ConfigFile => ({ path, text });
const throwsNaming = (fn: () => unknown, field: string, message?: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.field, field);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });

test('precedence: flag over environment over file over default, for values, booleans, lists and seconds', () => {
  const file = toml('[server]\nlisten = "127.0.0.3:3"\nhttp = true\ntrust-proxy = ["10.0.0.3"]\n[limits]\nbody-idle-timeout = 3\n');
  const env = { STRONGBOX_LISTEN: '127.0.0.2:2', STRONGBOX_HTTP: 'false', STRONGBOX_TRUST_PROXY: '10.0.0.2,10.0.0.22', STRONGBOX_BODY_IDLE_TIMEOUT: '2' };
  const flags = { listen: '127.0.0.1:1', http: true, trustProxy: ['10.0.0.1'], bodyIdleTimeout: '1' };

  const byDefault = loadConfig({}, {});
  assert.deepEqual([byDefault.host, byDefault.port, byDefault.tls, byDefault.trustedProxyCidrs, byDefault.connections.bodyIdleTimeoutMs], ['127.0.0.1', 9000, true, [], 20_000]);
  const byFile = loadConfig({}, {}, file);
  assert.deepEqual([byFile.host, byFile.port, byFile.tls, byFile.trustedProxyCidrs, byFile.connections.bodyIdleTimeoutMs], ['127.0.0.3', 3, false, ['10.0.0.3'], 3000]);
  const byEnv = loadConfig({}, env, file);
  assert.deepEqual([byEnv.host, byEnv.port, byEnv.tls, byEnv.trustedProxyCidrs, byEnv.connections.bodyIdleTimeoutMs], ['127.0.0.2', 2, true, ['10.0.0.2', '10.0.0.22'], 2000]);
  const byFlag = loadConfig(flags, env, file);
  assert.deepEqual([byFlag.host, byFlag.port, byFlag.tls, byFlag.trustedProxyCidrs, byFlag.connections.bodyIdleTimeoutMs], ['127.0.0.1', 1, false, ['10.0.0.1'], 1000]);
  assert.ok(Object.isFrozen(byFlag));
});

test('a bad value names the key and its source', () => {
  throwsNaming(() => loadConfig({}, {}, toml('[limits]\nbody-idle-timeout = "fast"\n')), 'config file /etc/strongbox.toml: limits.body-idle-timeout', /expected a number of seconds.*got "fast"/);
  throwsNaming(() => loadConfig({}, { STRONGBOX_LISTEN: 'nowhere' }), 'STRONGBOX_LISTEN', /expected HOST:PORT/);
  throwsNaming(() => loadConfig({ accountId: '12' }, {}), '--account-id');
  throwsNaming(() => loadConfig({}, { STRONGBOX_HTTP: 'maybe' }), 'STRONGBOX_HTTP', /true, false/);
  throwsNaming(() => loadConfig({}, {}, toml('[server]\nhttp = "yes"\n')), 'config file /etc/strongbox.toml: server.http', /true or false/);
  throwsNaming(() => loadConfig({}, {}, toml('[kms]\nkms-alias = ["aws/x"]\n')), 'config file /etc/strongbox.toml: kms.kms-alias');
  throwsNaming(() => loadConfig({}, {}, toml('[server\n')), 'config file /etc/strongbox.toml');
});

test('an unknown key or section in the file is an error naming it', () => {
  throwsNaming(() => loadConfig({}, {}, toml('[limits]\nbody-idle-timout = 5\n')), 'config file /etc/strongbox.toml: limits.body-idle-timout', /unknown key/);
  throwsNaming(() => loadConfig({}, {}, toml('[server]\nbody-idle-timeout = 5\n')), 'config file /etc/strongbox.toml: server.body-idle-timeout', /unknown key/);
  throwsNaming(() => loadConfig({}, {}, toml('[limit]\nbody-idle-timeout = 5\n')), 'config file /etc/strongbox.toml: limit', /unknown section/);
  throwsNaming(() => loadConfig({}, {}, toml('listen = "127.0.0.1:1"\n')), 'config file /etc/strongbox.toml: listen', /unknown key/);
});

test('a secret inline in the file is refused; from a file, a _FILE variable or the environment it works', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strongbox-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'from-a-file-123\n');
  for (const name of ['root-secret-key', 'root-key', 'root-key-passphrase']) {
    throwsNaming(() => loadConfig({}, {}, toml(`[root]\n${name} = "hunter2hunter2"\n`)), `config file /etc/strongbox.toml: root.${name}`, /not accepted inline.*-file/);
  }
  const file = toml(`[root]\nroot-access-key = "ROOTKEY"\nroot-secret-key-file = ${JSON.stringify(secretFile)}\n`);
  const c = loadConfig({}, {}, file);
  assert.equal(c.rootSecretKey, 'from-a-file-123', 'one trailing newline is dropped');
  assert.equal(loadConfig({}, { STRONGBOX_ROOT_SECRET_KEY: 'from-the-env' }, file).rootSecretKey, 'from-the-env');
  assert.equal(loadConfig({}, { STRONGBOX_ROOT_KEY_PASSPHRASE_FILE: secretFile }).rootKeyPassphrase, 'from-a-file-123');
  assert.equal(loadConfig({ rootKeyFile: secretFile }, { STRONGBOX_ROOT_KEY: 'ignored' }).rootKey, 'from-a-file-123');
  throwsNaming(() => loadConfig({}, { STRONGBOX_ROOT_KEY: 'a', STRONGBOX_ROOT_KEY_FILE: secretFile }), 'STRONGBOX_ROOT_KEY/STRONGBOX_ROOT_KEY_FILE');
  throwsNaming(() => loadConfig({}, {}, toml(`[root]\nroot-key-file = "${join(dir, 'missing')}"\n`)), 'config file /etc/strongbox.toml: root.root-key-file', /cannot read/);
  throwsNaming(() => loadConfig({}, { STRONGBOX_ROOT_ACCESS_KEY: 'ROOTKEY', STRONGBOX_ROOT_SECRET_KEY: 'short' }), 'STRONGBOX_ROOT_SECRET_KEY', /at least 8/);
  throwsNaming(() => loadConfig({}, { STRONGBOX_ROOT_ACCESS_KEY: 'ROOTKEY' }), 'root-access-key/root-secret-key', /both or neither/);
});

test('--print-config shows each value with its source and never a secret', () => {
  const resolved = resolveSettings({ region: 'eu-west-1' }, { STRONGBOX_ROOT_ACCESS_KEY: 'ROOTKEY', STRONGBOX_ROOT_SECRET_KEY: 'very-secret-value' }, toml('[limits]\nheader-timeout = 7\n'));
  const text = renderEffectiveConfig(resolved);
  assert.match(text, /^region = "eu-west-1"  # --region$/m);
  assert.match(text, /^header-timeout = "7"  # config file \/etc\/strongbox\.toml: limits\.header-timeout$/m);
  assert.match(text, /^root-secret-key = \(redacted\)  # STRONGBOX_ROOT_SECRET_KEY$/m);
  assert.match(text, /^log-level = "info"  # default$/m);
  assert.doesNotMatch(text, /very-secret-value/);
});

test('the commander options are the table: one per row, and no secret takes a value on argv', () => {
  const program = new Command();
  registerServe(program);
  const serve = program.commands.find((c) => c.name() === 'serve');
  assert.ok(serve !== undefined);
  const flags = serve.options.map((o) => o.long).filter((f) => f !== '--config' && f !== '--print-config');
  assert.deepEqual(flags, SETTING_NAMES.map((n) => namesOf(n).flag));
  assert.deepEqual(settingOptions().map((o) => o.long), flags);
  for (const name of SETTING_NAMES.filter((n) => SETTINGS[n].kind === 'secret')) {
    assert.ok(!flags.includes(`--${name}`), `--${name} would put a secret on argv`);
    assert.equal(namesOf(name).flag, `--${name}-file`);
  }
  // Every row's environment variable is distinct, and the variables in use before issue 15 remain.
  const envs = SETTING_NAMES.flatMap((n) => [namesOf(n).env, namesOf(n).envFile ?? []].flat());
  assert.equal(new Set(envs).size, envs.length);
  for (const v of ['STRONGBOX_DATA', 'STRONGBOX_LISTEN', 'STRONGBOX_REGION', 'STRONGBOX_LOG_LEVEL', 'STRONGBOX_TRUST_PROXY', 'STRONGBOX_KEYS_DIR', 'STRONGBOX_ACCOUNT_ID', 'STRONGBOX_ROOT_ACCESS_KEY', 'STRONGBOX_ROOT_SECRET_KEY', 'STRONGBOX_ROOT_KEY', 'STRONGBOX_ROOT_KEY_PASSPHRASE']) {
    assert.ok(envs.includes(v), v);
  }
});

test('docs/configuration.md is generated from the table and up to date (npm run docs:config)', () => {
  assert.equal(readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8'), renderConfigReference());
});

test('docs/strongbox.example.toml validates', () => {
  const path = join(ROOT, 'docs/strongbox.example.toml');
  // The example names a secret file under /run/secrets; the environment stands in for it here.
  const c = loadConfig({}, { STRONGBOX_ROOT_SECRET_KEY: 'example-secret' }, { path, text: readFileSync(path, 'utf8') });
  assert.equal(c.region, 'eu-west-1');
  assert.equal(c.domain, 's3.example.internal');
  assert.equal(c.rootAccessKey, 'strongboxadmin');
  assert.deepEqual(c.kmsAliases, ['backups']);
  assert.equal(c.connections.bodyIdleTimeoutMs, 20_000);
});
