import { openSqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { metaStoreContract } from './meta-contract.js';
import { tempDir } from './helpers.js';

for (const writer of ['wal-sync', 'thread', 'inline'] as const) {
  metaStoreContract(`SQLite (writer: ${writer})`, async (t) => {
    const store = openSqliteMetaStore(await tempDir(t), { writer });
    t.after(() => store.close());
    return { store };
  });
}
