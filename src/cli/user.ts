import type { Command } from 'commander';
import { resolve } from 'node:path';
import { openStores, closeStores, type Stores } from '../store/open-stores.js';
import { generateCredentials } from '../server/credentials.js';
import { MetaStoreError } from '../store/meta/types.js';

const NAME_RE = /^[A-Za-z0-9_.@+=,-]{1,64}$/;

/**
 * Opens the server's stores for one command and closes them afterwards; safe while the server
 * runs (nothing is scrubbed at open, and this process never drains the reclaim journal).
 */
async function withStores<T>(dataDir: string, fn: (stores: Stores) => T | Promise<T>): Promise<T> {
  const stores = await openStores(resolve(dataDir));
  try {
    return await fn(stores);
  } finally {
    await closeStores(stores);
  }
}

/** `strongbox user add|list|remove`: works while the server runs (SQLite WAL, busy timeout). */
export function registerUser(program: Command): void {
  const user = program.command('user').description('manage users (each sees only their own buckets)');
  user
    .command('add <name>')
    .description('create a user and print a new access key and secret')
    .option('--data <dir>', 'data directory of the server', './data')
    .action(async (name: string, opts: { data: string }) => {
      if (!NAME_RE.test(name)) throw new Error(`invalid user name "${name}": use 1-64 letters, digits and _.@+=,-`);
      await withStores(opts.data, async (stores) => {
        const creds = generateCredentials();
        try {
          await stores.meta.addUser({ name, ...creds, isRoot: false, createdAt: new Date() });
        } catch (err) {
          if (err instanceof MetaStoreError && err.code === 'STRONGBOX_USER_EXISTS') throw new Error(`user "${name}" already exists`);
          throw err;
        }
        process.stdout.write(`AWS_ACCESS_KEY_ID=${creds.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}\n`);
      });
    });
  user
    .command('list')
    .description('list users and their access key ids')
    .option('--data <dir>', 'data directory of the server', './data')
    .action(async (opts: { data: string }) => {
      await withStores(opts.data, async (stores) => {
        for (const u of await stores.meta.listUsers()) {
          process.stdout.write(`${u.name}\t${u.accessKeyId}${u.isRoot ? '\troot' : ''}\n`);
        }
      });
    });
  user
    .command('remove <name>')
    .description('remove a user (their buckets stay)')
    .option('--data <dir>', 'data directory of the server', './data')
    .action(async (name: string, opts: { data: string }) => {
      await withStores(opts.data, async (stores) => {
        if ((await stores.meta.getUser(name))?.isRoot === true) throw new Error('the root user cannot be removed');
        if (!(await stores.meta.removeUser(name))) throw new Error(`no user "${name}"`);
      });
    });
}
