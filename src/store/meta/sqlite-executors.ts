/**
 * Where the metadata store's write batches commit (see SqliteMetaStoreOptions.writer): on the
 * main connection with a shared WAL fdatasync (default), on a worker thread, or inline.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { BatchWriter, type OpResult, type WriteOp } from './sqlite-writer.js';
import type { WorkerData, WorkerRequest } from './sqlite-worker.js';

/** Runs one batch in one transaction and reports each op's result. */
export interface BatchExecutor {
  run(ops: readonly WriteOp[]): Promise<OpResult[]>;
  close(): Promise<void>;
  /** Makes a write done directly on the main connection durable (user changes: rare). */
  syncNow(): void;
  /** True when a new batch may start before the previous one's promise settles. */
  readonly pipelined: boolean;
}

/**
 * Group commit without a thread: each batch commits on the main connection with
 * synchronous=NORMAL (WAL frames written, no fsync), then waits for an fdatasync of the WAL
 * file that started after its commit. At most one fdatasync runs at a time; every batch
 * committed meanwhile shares the next one. In WAL mode that is the durability of
 * synchronous=FULL, at a fraction of the fsyncs. (A reader on this connection may see a
 * batch a few milliseconds before it is acknowledged; nothing acknowledged is ever lost.)
 */
export class WalSyncExecutor implements BatchExecutor {
  readonly pipelined = true;
  private readonly writer: BatchWriter;
  private walFd: number | undefined;
  private syncing = false;
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private idle: (() => void) | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly walPath: string,
    reclaimGraceMs: number,
  ) {
    db.pragma('synchronous = NORMAL');
    this.writer = new BatchWriter(db, reclaimGraceMs);
  }

  run(ops: readonly WriteOp[]): Promise<OpResult[]> {
    const results = this.writer.applyBatch(ops);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.startSync();
    }).then(() => results);
  }

  syncNow(): void {
    this.walFd ??= openSync(this.walPath, 'r');
    fdatasyncSync(this.walFd);
  }

  private startSync(): void {
    if (this.syncing || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.syncing = true;
    this.walFd ??= openSync(this.walPath, 'r');
    fdatasync(this.walFd, (err) => {
      this.syncing = false;
      if (err) for (const w of batch) w.reject(err);
      else for (const w of batch) w.resolve();
      if (this.waiting.length > 0) this.startSync();
      else this.idle?.();
    });
  }

  async close(): Promise<void> {
    if (this.syncing) await new Promise<void>((resolve) => (this.idle = resolve));
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }
}

export class InlineExecutor implements BatchExecutor {
  readonly pipelined = false;
  private readonly writer: BatchWriter;
  constructor(db: Database.Database, reclaimGraceMs: number) {
    this.writer = new BatchWriter(db, reclaimGraceMs);
  }
  run(ops: readonly WriteOp[]): Promise<OpResult[]> {
    return Promise.resolve(this.writer.applyBatch(ops));
  }
  syncNow(): void {
    // synchronous=FULL: the commit itself was durable.
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class ThreadExecutor implements BatchExecutor {
  readonly pipelined = false;
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (r: OpResult[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private failed: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(path: string, reclaimGraceMs: number) {
    const data: WorkerData = { path, reclaimGraceMs };
    this.worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (msg: { id: number; results: OpResult[] }) => {
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (this.waiting.size === 0) this.worker.unref();
      w?.resolve(msg.results);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        this.fail(new Error('metadata writer thread exited'));
        resolve();
      });
    });
  }

  syncNow(): void {
    // The main connection runs with synchronous=FULL: the commit itself was durable.
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  run(ops: readonly WriteOp[]): Promise<OpResult[]> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      const msg: WorkerRequest = { type: 'batch', id, ops };
      this.worker.postMessage(msg);
    });
  }

  close(): Promise<void> {
    if (this.failed === undefined) {
      this.worker.ref(); // until it has exited
      const msg: WorkerRequest = { type: 'close' };
      this.worker.postMessage(msg);
    }
    return this.exited;
  }
}
