import type { Command } from 'commander';
import { resolve } from 'node:path';
import { openStores, closeStores } from '../store/open-stores.js';
import { generateCredentials } from '../server/credentials.js';
import { MetaStoreError } from '../store/meta/types.js';

const NAME_RE = /^[A-Za-z0-9_.@+=,-]{1,64}$/;

/** `strongbox user add|list|remove`: works while the server runs (SQLite WAL, busy timeout). */
export function registerUser(program: Command): void {
  const user = program.command('user').description('manage users (each sees only their own buckets)');
  user
    .command('add <name>')
    .description('create a user and print a new access key and secret')
    .option('--data <dir>', 'data directory of the server', './data')
    .action(async (name: string, opts: { data: string }) => {
      if (!NAME_RE.test(name)) throw new Error(`invalid user name "${name}": use 1-64 letters, digits and _.@+=,-`);
      const stores = await openStores(resolve(opts.data), { scrub: false });
      try {
        const creds = generateCredentials();
        stores.meta.addUser({ name, ...creds, isRoot: false, createdAt: new Date() });
        process.stdout.write(`AWS_ACCESS_KEY_ID=${creds.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}\n`);
      } catch (err) {
        if (err instanceof MetaStoreError && err.code === 'STRONGBOX_USER_EXISTS') throw new Error(`user "${name}" already exists`);
        throw err;
      } finally {
        await closeStores(stores);
      }
    });
  user
    .command('list')
    .description('list users and their access key ids')
    .option('--data <dir>', 'data directory of the server', './data')
    .action(async (opts: { data: string }) => {
      const stores = await openStores(resolve(opts.data), { scrub: false });
      try {
        for (const u of stores.meta.listUsers()) {
          process.stdout.write(`${u.name}\t${u.accessKeyId}${u.isRoot ? '\troot' : ''}\n`);
        }
      } finally {
        await closeStores(stores);
      }
    });
  user
    .command('remove <name>')
    .description('remove a user (their buckets stay)')
    .option('--data <dir>', 'data directory of the server', './data')
    .action(async (name: string, opts: { data: string }) => {
      const stores = await openStores(resolve(opts.data), { scrub: false });
      try {
        const u = stores.meta.getUser(name);
        if (u?.isRoot) throw new Error('the root user cannot be removed');
        if (!stores.meta.removeUser(name)) throw new Error(`no user "${name}"`);
      } finally {
        await closeStores(stores);
      }
    });
}
