/** The BlobStore contract (blob-contract.ts) on the file store. */
import { openFsBlobStore } from '../../src/store/blob/fs.js';
import { blobStoreContract } from './blob-contract.js';
import { tempDir } from './helpers.js';

blobStoreContract('FsBlobStore', async (t, opts) => {
  const blobs = openFsBlobStore(await tempDir(t), opts);
  t.after(() => blobs.close());
  return blobs;
});
