/**
 * Draining the reclaim journal (docs/adr/0001-embedded-storage.md). A commit that frees a blob
 * (an overwrite, a delete, an abort …) writes a journal entry in its own transaction, due after
 * the grace period; a writer journals its blob as an intent before the blob becomes visible,
 * and the commit that references it deletes the intent. The Reclaimer removes due blobs, one
 * process at a time: it takes a lease row in the metadata store (a compare-and-set), removes
 * the blobs of a bounded batch, then deletes their entries (a crash in between only repeats a
 * harmless delete), renews the lease, and gives it up at the end of the pass. A process that
 * dies holding it stops others only until it expires. Leftovers of writes that never finished
 * (temporary files) are swept in the same pass.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlobStore } from './blob/types.js';
import type { MetaStore } from './meta/types.js';

/** What the Reclaimer needs of each store. */
export type ReclaimJournal = Pick<MetaStore, 'takeReclaimLease' | 'releaseReclaimLease' | 'dueReclaims' | 'finishReclaims'>;
export type ReclaimTarget = Pick<BlobStore, 'delete' | 'sweepUnfinished'>;

/** The default grace period (`serve --reclaim-grace`, SqliteMetaStoreOptions.reclaimGraceMs). */
export const DEFAULT_RECLAIM_GRACE_MS = 10 * 60 * 1000;
export const RECLAIM_INTERVAL_MS = 30_000;
/** How long a lease outlives its last renewal: a stuck or dead holder delays others this long. */
export const RECLAIM_LEASE_TTL_MS = 60_000;
/** Entries per batch (one delete round and one metadata commit). */
export const RECLAIM_BATCH = 256;
/** Batches per pass: a large backlog is drained over several passes, never in one long burst. */
export const RECLAIM_MAX_BATCHES = 64;

export interface ReclaimerOptions {
  /** How often `start()` runs a pass. */
  readonly intervalMs?: number;
  readonly leaseTtlMs?: number;
  readonly batch?: number;
  readonly maxBatches?: number;
  /**
   * Temporary files untouched this long are leftovers of a dead writer; undefined: none are
   * swept. Must exceed the body-idle timeout and BLOB_WRITER_REFRESH_MS (serve sets it).
   */
  readonly unfinishedAfterMs?: number;
}

export interface ReclaimPass {
  /** Whether this process held the lease (else another one is draining). */
  readonly leased: boolean;
  /** Journal entries drained (their blobs removed). */
  readonly drained: number;
  /** Leftover temporary files removed. */
  readonly unfinished: number;
}

export class Reclaimer {
  /** This process's name in the lease row (host, pid and a random part: unique across restarts). */
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReclaimPass> | undefined;
  private stopped = false;
  /** Where the timer's passes report failures (given to start()). */
  private onError: (err: unknown) => void = () => undefined;

  constructor(
    private readonly journal: ReclaimJournal,
    private readonly blobs: ReclaimTarget,
    private readonly opts: ReclaimerOptions,
  ) {}

  /**
   * Runs a pass now and then every interval (the timer never keeps the process alive); a
   * failed pass goes to `onError` and the next one retries.
   */
  start(onError: (err: unknown) => void): void {
    if (this.timer !== undefined || this.stopped) return;
    this.onError = onError;
    const tick = (): void => {
      this.runOnce().then(
        () => undefined,
        (err: unknown) => this.onError(err),
      );
    };
    this.timer = setInterval(tick, this.opts.intervalMs ?? RECLAIM_INTERVAL_MS);
    this.timer.unref();
    tick();
  }

  /** One pass now; concurrent calls share the pass in progress. */
  runOnce(): Promise<ReclaimPass> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Stops the timer and waits for a pass in progress; with `finalPass`, a started Reclaimer
   * runs one more (failures go to start's onError).
   */
  async stop(finalPass = false): Promise<void> {
    const wasStarted = this.timer !== undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    await this.running?.catch((err: unknown) => this.onError(err));
    if (finalPass && wasStarted) await this.runOnce().catch((err: unknown) => this.onError(err));
  }

  private async pass(): Promise<ReclaimPass> {
    const ttl = this.opts.leaseTtlMs ?? RECLAIM_LEASE_TTL_MS;
    const batch = this.opts.batch ?? RECLAIM_BATCH;
    if (!(await this.journal.takeReclaimLease(this.holder, ttl))) return { leased: false, drained: 0, unfinished: 0 };
    let drained = 0;
    let unfinished = 0;
    try {
      for (let i = 0; i < (this.opts.maxBatches ?? RECLAIM_MAX_BATCHES); i++) {
        const due = await this.journal.dueReclaims(batch);
        if (due.length === 0) break;
        // Blobs first, entries second: a crash between them repeats a delete of nothing.
        await this.blobs.delete(due.map((e) => e.blob));
        await this.journal.finishReclaims(due.map((e) => e.id));
        drained += due.length;
        if (due.length < batch) break;
        // Renewed between batches; lost (expired and taken over): stop, the other holder goes on.
        if (!(await this.journal.takeReclaimLease(this.holder, ttl))) return { leased: true, drained, unfinished };
      }
      if (this.opts.unfinishedAfterMs !== undefined) unfinished = await this.blobs.sweepUnfinished(this.opts.unfinishedAfterMs);
    } finally {
      await this.journal.releaseReclaimLease(this.holder);
    }
    return { leased: true, drained, unfinished };
  }
}
