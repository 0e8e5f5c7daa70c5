import type { Command } from 'commander';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fingerprintOf } from '../keys/fingerprint.js';
import { KeyError } from '../keys/key-error.js';
import { writeNewSecretFile } from '../keys/key-file.js';
import { combineShares, parseShare, splitKey, type KeyShare } from '../keys/shares.js';
import { confirm, isInteractive } from '../keys/terminal.js';
import { KEYRING_FLAGS, KEYRING_HELP, keyFromRef, withKeyring, type KeyringOpts } from './keyring-options.js';

type Format = 'hex' | 'base64' | 'raw';
const LOSS_WARNING =
  '\n!!! Keep this key safe and backed up. Strongbox never stores SSE-C keys: if this key is lost,\n' +
  '!!! NOBODY can recover the data encrypted with it — not you, not the server operator.\n' +
  '!!! Consider `strongbox key split` to give shares to several custodians.\n\n';

function parseFormat(value: string): Format {
  if (value === 'hex' || value === 'base64' || value === 'raw') return value;
  throw new KeyError('STRONGBOX_KEYREF_INVALID', `unknown key format "${value}": use hex, base64 or raw`);
}

function encodeKey(key: Buffer, format: Format): Buffer {
  if (format === 'raw') return Buffer.from(key);
  return Buffer.from(`${key.toString(format)}\n`);
}

/** Prints the key on stdout (alone, so it can be redirected); raw bytes never go to a terminal. */
function printKey(key: Buffer, format: Format): void {
  if (format === 'raw' && process.stdout.isTTY) throw new KeyError('STRONGBOX_KEYREF_INVALID', 'refusing to write raw key bytes to a terminal: use --out FILE or --format hex');
  const data = encodeKey(key, format);
  process.stdout.write(data);
  data.fill(0);
}

async function writeKeyFile(path: string, key: Buffer, format: Format): Promise<void> {
  const data = encodeKey(key, format);
  try {
    await writeNewSecretFile(resolve(path), data);
  } finally {
    data.fill(0);
  }
}

/** Fingerprint lines; to stderr when stdout carries the key itself. */
function describe(key: Buffer, toStderr: boolean, extra: readonly string[] = []): void {
  const fp = fingerprintOf(key);
  const text = [...extra, `fingerprint: ${fp.short}`, `key-md5: ${fp.md5}`].join('\n') + '\n';
  (toStderr ? process.stderr : process.stdout).write(text);
}

/**
 * Stores a key in the keyring (--name) and/or a new file (--out). The name is checked before
 * the file is written, so a taken name leaves no file behind. Returns what was written.
 */
async function keep(key: Buffer, opts: KeyringOpts & { name?: string; out?: string }, format: Format): Promise<string[]> {
  const saved: string[] = [];
  const toFile = async () => {
    if (opts.out === undefined) return;
    await writeKeyFile(opts.out, key, format);
    saved.push(`file: ${resolve(opts.out)}`);
  };
  const name = opts.name;
  if (name === undefined) {
    await toFile();
    return saved;
  }
  await withKeyring(opts, true, async (ring) => {
    ring.add(name, key);
    await toFile();
    await ring.save();
  });
  return [`name: ${name}`, ...saved];
}

function positiveInt(value: string): number {
  if (!/^\d{1,3}$/.test(value)) throw new KeyError('STRONGBOX_SHARE_INVALID', `"${value}" is not a whole number from 2 to 255`);
  return Number(value);
}

/** Reads a share given as text or as @FILE. */
async function readShareArg(arg: string, index: number): Promise<{ share: KeyShare; label: string }> {
  if (!arg.startsWith('@')) return { share: parseShare(arg, `share ${index}`), label: `share ${index}` };
  const path = arg.slice(1);
  const label = `share ${index} (${path})`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeyError('STRONGBOX_SHARE_INVALID', `${label}: the file does not exist`);
    throw err;
  }
  return { share: parseShare(text, label), label };
}

/** `strongbox key …`: SSE-C key custody (issue 5). */
export function registerKey(program: Command): void {
  const cmd = program.command('key').description('create, store, back up and split SSE-C keys (KEYREF: keyring NAME, @FILE or env:VAR)');

  cmd
    .command('new')
    .description('generate a 32-byte SSE-C key')
    .option('--name <name>', 'store it in the keyring under this name')
    .option('--out <file>', 'write it to a new file (mode 0600)')
    .option('--format <format>', 'hex, base64 or raw', 'hex')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (opts: KeyringOpts & { name?: string; out?: string; format: string }) => {
      const format = parseFormat(opts.format);
      const key = randomBytes(32);
      try {
        const saved = await keep(key, opts, format);
        if (saved.length === 0) printKey(key, format);
        describe(key, saved.length === 0, saved);
        process.stderr.write(LOSS_WARNING);
      } finally {
        key.fill(0);
      }
    });

  cmd
    .command('fingerprint <keyref>')
    .description('print the key MD5 S3 echoes (x-amz-server-side-encryption-customer-key-MD5) and a short SHA-256 fingerprint')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (ref: string, opts: KeyringOpts) => {
      const key = await keyFromRef(ref, opts);
      describe(key, false);
      key.fill(0);
    });

  cmd
    .command('list')
    .description('list the keyring: names, fingerprints and creation dates (never keys)')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (opts: KeyringOpts) => {
      await withKeyring(opts, false, async (ring) => {
        for (const e of ring.list()) {
          const fp = fingerprintOf(e.key);
          process.stdout.write(`${e.name}\t${fp.short}\t${fp.md5}\t${e.created.toISOString()}\n`);
        }
      });
    });

  cmd
    .command('show <name>')
    .description('show a keyring entry (the key itself only with --reveal)')
    .option('--reveal', 'print the key (hex)')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (name: string, opts: KeyringOpts & { reveal?: boolean }) => {
      await withKeyring(opts, false, async (ring) => {
        const entry = ring.list().find((e) => e.name === name);
        if (entry === undefined) throw new KeyError('STRONGBOX_KEYRING_NAME', `no key named "${name}" in the keyring`);
        describe(entry.key, false, [`name: ${name}`, `created: ${entry.created.toISOString()}`, ...(opts.reveal === true ? [`key: ${entry.key.toString('hex')}`] : [])]);
      });
    });

  cmd
    .command('export <name>')
    .description('write a keyring key to stdout or to a new file')
    .option('--format <format>', 'hex, base64 or raw', 'hex')
    .option('--out <file>', 'write it to a new file (mode 0600)')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (name: string, opts: KeyringOpts & { format: string; out?: string }) => {
      const format = parseFormat(opts.format);
      await withKeyring(opts, false, async (ring) => {
        const key = ring.get(name);
        if (key === undefined) throw new KeyError('STRONGBOX_KEYRING_NAME', `no key named "${name}" in the keyring`);
        try {
          if (opts.out === undefined) printKey(key, format);
          else await writeKeyFile(opts.out, key, format);
          describe(key, opts.out === undefined, opts.out === undefined ? [] : [`file: ${resolve(opts.out)}`]);
        } finally {
          key.fill(0);
        }
      });
    });

  cmd
    .command('import <name> <keyref>')
    .description('store a key (@FILE, env:VAR or another keyring name) in the keyring')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (name: string, ref: string, opts: KeyringOpts) => {
      await withKeyring(opts, true, async (ring) => {
        const key = await keyFromRef(ref, opts, ring);
        try {
          ring.add(name, key);
          await ring.save();
          describe(key, false, [`name: ${name}`]);
        } finally {
          key.fill(0);
        }
      });
    });

  cmd
    .command('remove <name>')
    .description('remove a key from the keyring (asks first; --yes when not on a terminal)')
    .option('--yes', 'do not ask for confirmation')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (name: string, opts: KeyringOpts & { yes?: boolean }) => {
      if (opts.yes !== true && !isInteractive()) throw new KeyError('STRONGBOX_KEYRING_NAME', `removing a key needs --yes when not run on a terminal`);
      await withKeyring(opts, false, async (ring) => {
        const entry = ring.list().find((e) => e.name === name);
        if (entry === undefined) throw new KeyError('STRONGBOX_KEYRING_NAME', `no key named "${name}" in the keyring`);
        const fp = fingerprintOf(entry.key).short;
        if (opts.yes !== true && !(await confirm(`Remove key "${name}" (${fp})? Data encrypted with it is lost unless the key is kept elsewhere.`))) {
          throw new KeyError('STRONGBOX_KEYRING_NAME', 'not removed');
        }
        ring.remove(name);
        await ring.save();
        process.stdout.write(`removed "${name}" (${fp})\n`);
      });
    });

  cmd
    .command('split <keyref>')
    .description('split a key into N Shamir shares, any K of which rebuild it')
    .requiredOption('--shares <n>', 'number of shares (2-255)')
    .requiredOption('--threshold <k>', 'shares needed to rebuild the key (2-N)')
    .option('--out-dir <dir>', 'write one file per share (mode 0600) instead of printing them')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (ref: string, opts: KeyringOpts & { shares: string; threshold: string; outDir?: string }) => {
      const n = positiveInt(opts.shares);
      const k = positiveInt(opts.threshold);
      const key = await keyFromRef(ref, opts);
      try {
        const shares = await splitKey(key, n, k);
        if (opts.outDir === undefined) {
          process.stdout.write(shares.join('\n') + '\n');
        } else {
          const dir = resolve(opts.outDir);
          await mkdir(dir, { recursive: true, mode: 0o700 });
          for (const [i, s] of shares.entries()) await writeNewSecretFile(join(dir, `share-${i + 1}-of-${n}.txt`), `${s}\n`);
          process.stdout.write(`${n} shares written to ${dir}\n`);
        }
        describe(key, opts.outDir === undefined);
        process.stderr.write(`Any ${k} of the ${n} shares rebuild the key (strongbox key combine); fewer reveal nothing. Give them to different custodians.\n`);
      } finally {
        key.fill(0);
      }
    });

  cmd
    .command('combine <shares...>')
    .description('rebuild a key from shares (text or @FILE); without --out, --name or --reveal only its fingerprint is printed')
    .option('--out <file>', 'write the key to a new file (mode 0600)')
    .option('--format <format>', 'hex, base64 or raw (for --out and --reveal)', 'hex')
    .option('--name <name>', 'store the key in the keyring under this name')
    .option('--reveal', 'print the key on stdout')
    .option(KEYRING_FLAGS, KEYRING_HELP)
    .action(async (args: string[], opts: KeyringOpts & { out?: string; format: string; name?: string; reveal?: boolean }) => {
      const format = parseFormat(opts.format);
      const shares = [];
      for (const [i, a] of args.entries()) shares.push(await readShareArg(a, i + 1));
      const key = await combineShares(shares);
      try {
        const saved = await keep(key, opts, format);
        if (opts.reveal === true) printKey(key, format);
        describe(key, opts.reveal === true, saved);
        if (saved.length === 0 && opts.reveal !== true) process.stderr.write('The shares rebuild this key; keep it with --out FILE, --name NAME or --reveal.\n');
      } finally {
        key.fill(0);
      }
    });
}
