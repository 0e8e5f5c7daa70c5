/**
 * After a root key rotation, moves every data key sealed under an older root key version to the
 * newest one (ADR 0003): only records change, never blobs. Runs in the background after start;
 * each record is replaced only if it is still the one read (MetaStore.resealObject), so an object
 * written meanwhile is never touched. Progress is logged every few seconds.
 */
import { setImmediate as nextTick } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { EncryptionRecord, MetaStore } from '../store/meta/types.js';
import type { RootKeyring } from '../crypto/root-key.js';
import { RootKeyed } from '../crypto/sse-s3.js';
import { crashPoint, type CrashConfig } from '../testing/crash-point.js';

const PAGE = 500;
const PROGRESS_EVERY_MS = 5000;

export interface ResealProgress {
  /** Objects and uploads looked at, of `total`. */
  scanned: number;
  total: number;
  /** Records moved to the newest root key version. */
  resealed: number;
}

export interface ResealDeps {
  readonly meta: MetaStore;
  readonly rootKey: RootKeyring;
  readonly log: Logger;
  /** Re-seals what else is sealed under the root key (the built-in KMS's keys); resolves with how many. */
  readonly resealOthers?: () => Promise<number>;
  /** Only its test crash point (the crash harness) is used. */
  readonly config?: CrashConfig;
}

/** A re-sealed copy of an SSE-S3 record, or undefined when it already is under the newest version. */
function resealed(record: EncryptionRecord, ring: RootKeyring, bucket: string, key: string): EncryptionRecord | undefined {
  if (record.mode !== 'sse-s3' || Number(record.rootVersion) === ring.current.version) return undefined;
  const old = RootKeyed.open(record, ring, bucket, key);
  const fresh = new RootKeyed(Buffer.from(old.dataKey), ring, bucket, key);
  old.dispose();
  fresh.dispose();
  return fresh.record;
}

export async function resealUnderCurrentRootKey(deps: ResealDeps): Promise<ResealProgress> {
  const { meta, rootKey: ring, log } = deps;
  const buckets = await meta.listBuckets();
  let total = 0;
  for (const b of buckets) total += await meta.countObjects(b.name);
  const progress: ResealProgress = { scanned: 0, total, resealed: 0 };
  if (ring.versions.length === 1) return progress;
  log.info({ version: ring.current.version, objects: progress.total }, 'root key re-seal: moving data keys to the newest root key version');
  let lastReport = Date.now();
  const report = () => {
    if (Date.now() - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = Date.now();
    log.info({ ...progress }, 'root key re-seal: progress');
  };
  for (const bucket of buckets) {
    let after: string | undefined;
    for (;;) {
      const page = await meta.listObjects(bucket.name, { prefix: '', limit: PAGE, ...(after === undefined ? {} : { after }) });
      for (const summary of page) {
        progress.scanned++;
        const rec = await meta.getObject(bucket.name, summary.key);
        const to = rec && resealed(rec.encryption, ring, rec.bucket, rec.key);
        if (rec !== undefined && to !== undefined && (await meta.resealObject(rec.bucket, rec.key, rec.encryption, to))) progress.resealed++;
        if (to !== undefined) crashPoint(deps.config, 'root-reseal-record');
      }
      report();
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.key;
      await nextTick();
    }
    let marker: { keyMarker: string; uploadIdMarker: string } | undefined;
    for (;;) {
      const uploads = await meta.listUploads(bucket.name, { prefix: '', limit: PAGE, ...marker });
      for (const u of uploads) {
        const to = resealed(u.encryption, ring, u.bucket, u.key);
        if (to !== undefined && (await meta.resealUpload(u.uploadId, u.encryption, to))) progress.resealed++;
        if (to !== undefined) crashPoint(deps.config, 'root-reseal-record');
      }
      if (uploads.length < PAGE) break;
      const last = uploads[uploads.length - 1]!;
      marker = { keyMarker: last.key, uploadIdMarker: last.uploadId };
      await nextTick();
    }
  }
  const others = deps.resealOthers === undefined ? 0 : await deps.resealOthers();
  log.info({ ...progress, kmsKeys: others }, 'root key re-seal: done');
  return progress;
}
