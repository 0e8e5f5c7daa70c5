import { MetaStoreError, type ObjectRecord, type WriteCondition } from './types.js';

const bare = (etag: string): string => etag.replace(/^"(.*)"$/, '$1');
const listed = (etags: readonly string[], etag: string): boolean => {
  const current = bare(etag);
  return etags.some((e) => e === '*' || bare(e) === current);
};

/**
 * Checks a WriteCondition against the key's current record; a store calls it inside the
 * transaction that writes. The order is the S3 layer's (src/s3/conditions.ts): If-None-Match,
 * then If-Match, then the expected blobs.
 */
export function checkWriteCondition(condition: WriteCondition, current: ObjectRecord | undefined, name: string): void {
  const { ifNoneMatch, ifMatch, expectBlobIds } = condition;
  if (ifNoneMatch !== undefined && current !== undefined && listed(ifNoneMatch, current.etag)) {
    throw new MetaStoreError('STRONGBOX_IF_NONE_MATCH_FAILED', `${name} exists`);
  }
  if (ifMatch !== undefined) {
    if (current === undefined) throw new MetaStoreError('STRONGBOX_OBJECT_MISSING', `${name} does not exist`);
    if (!listed(ifMatch, current.etag)) throw new MetaStoreError('STRONGBOX_IF_MATCH_FAILED', `${name} has another ETag`);
  }
  if (expectBlobIds !== undefined) {
    const now = current?.segments.flatMap((s) => (s.blob.kind === 'file' ? [s.blob.id] : []));
    if (now === undefined || now.length !== expectBlobIds.length || now.some((id, i) => id !== expectBlobIds[i])) {
      throw new MetaStoreError('STRONGBOX_OBJECT_CHANGED', `${name} changed meanwhile`);
    }
  }
}
