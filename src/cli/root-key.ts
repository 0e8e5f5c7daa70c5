import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ROOT_KEY_FILE, rotateRootKey } from '../crypto/root-key.js';

/**
 * `strongbox root-key rotate`: adds a root key version. The server seals new data keys under it
 * from its next start, and moves existing ones to it in the background (records only).
 */
export function registerRootKey(program: Command): void {
  const rootKey = program.command('root-key').description('manage the root key that seals SSE-S3 data keys and the built-in KMS');
  rootKey
    .command('rotate')
    .description('add a new root key version (older versions stay for reading); restart the server to use it')
    .option('--data <dir>', 'data directory of the server', './data')
    .option('--keys-dir <dir>', 'where the root key file lives (default <data>/keys)')
    .action(async (opts: { data: string; keysDir?: string }) => {
      if (process.env.STRONGBOX_ROOT_KEY) throw new Error('the root key comes from STRONGBOX_ROOT_KEY: rotate it by keeping a key file instead');
      const keysDir = resolve(opts.keysDir ?? process.env.STRONGBOX_KEYS_DIR ?? resolve(opts.data, 'keys'));
      const ring = await rotateRootKey({ keysDir, passphrase: () => Promise.resolve(process.env.STRONGBOX_ROOT_KEY_PASSPHRASE ?? '') });
      process.stdout.write(
        `Root key version ${ring.current.version} (id ${ring.current.id}) added to ${resolve(keysDir, ROOT_KEY_FILE)}.\n` +
          'Restart the server: new data keys are sealed under it, and existing ones move to it in the background.\n' +
          'Back up the key file again: it now holds every version.\n',
      );
    });
}
