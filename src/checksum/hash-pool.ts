/**
 * A small pool of worker threads that hash request bodies off the event loop.
 *
 * Bytes are copied into 1 MiB SharedArrayBuffer slabs; a full slab is posted to every worker
 * hashing that stream (no copy, no transfer) and returns to a free list once all of them have
 * acknowledged it. The digests of one stream may be spread over several workers (MD5 on one,
 * the CRC on another), so a single large PUT can use more than one core.
 *
 * Workers start lazily, are referenced only while they have work (an idle pool never keeps the
 * process alive), and are replaced if one dies. Not for small bodies: see body-check.ts.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashName } from './algorithms.js';
import type { FromWorker, ToWorker } from './hash-protocol.js';

/** Size of a slab: one message to a worker. */
export const SLAB_SIZE = 1024 * 1024;
/** Free slabs kept for reuse across streams. */
const MAX_FREE_SLABS = 32;
/** Workers at most; at least one. */
const MAX_WORKERS = Math.max(1, Math.min(availableParallelism(), 4));

/** Relative cost per byte, to balance the workers (MD5 ≈ 0.55 GiB/s, zlib CRC32 ≈ 5 GiB/s). */
const COST: Readonly<Record<HashName, number>> = {
  MD5: 10,
  CRC64NVME: 6,
  SHA1: 5,
  SHA256: 5,
  CRC32C: 4,
  CRC32: 1,
};

const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

const freeSlabs: SharedArrayBuffer[] = [];
const takeSlab = (): SharedArrayBuffer => freeSlabs.pop() ?? new SharedArrayBuffer(SLAB_SIZE);
const releaseSlab = (slab: SharedArrayBuffer): void => {
  if (freeSlabs.length < MAX_FREE_SLABS) freeSlabs.push(slab);
};

interface TaskHandlers {
  ack(seq: number): void;
  done(digests: readonly ArrayBuffer[]): void;
  fail(err: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly tasks = new Map<number, TaskHandlers>();
  load = 0;
  dead = false;

  constructor(private readonly onDeath: (w: PoolWorker) => void) {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      const task = this.tasks.get(m.id);
      if (task === undefined) return; // aborted
      switch (m.t) {
        case 'ack':
          task.ack(m.seq);
          return;
        case 'done':
          task.done(m.digests);
          return;
        case 'error':
          task.fail(new Error(`hash worker: ${m.message}`));
          return;
      }
    });
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => this.die(new Error(`hash worker exited with code ${code}`)));
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** Registers a task; its cost is added to `load` by the caller as names are assigned. */
  add(id: number, handlers: TaskHandlers): void {
    if (this.tasks.size === 0) this.worker.ref(); // keep the process alive while work is pending
    this.tasks.set(id, handlers);
  }

  remove(id: number, cost: number): void {
    if (!this.tasks.delete(id)) return;
    this.load -= cost;
    if (this.tasks.size === 0) this.worker.unref();
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(this);
    const tasks = [...this.tasks.values()];
    this.tasks.clear();
    this.worker.unref();
    for (const t of tasks) t.fail(err);
  }
}

const workers: PoolWorker[] = [];
let nextId = 1;

const forget = (w: PoolWorker): void => {
  const i = workers.indexOf(w);
  if (i >= 0) workers.splice(i, 1);
};

/** The least loaded worker, starting a new one while the pool has room and all are busy. */
function pickWorker(exclude: ReadonlySet<PoolWorker>): PoolWorker {
  let best: PoolWorker | undefined;
  for (const w of workers) {
    if (!exclude.has(w) && (best === undefined || w.load < best.load)) best = w;
  }
  if ((best === undefined || best.load > 0) && workers.length < MAX_WORKERS) {
    best = new PoolWorker(forget);
    workers.push(best);
  }
  if (best !== undefined) return best;
  // Every worker is already used by this stream: share the least loaded one.
  return workers.reduce((a, b) => (b.load < a.load ? b : a));
}

interface Task {
  readonly id: number;
  readonly worker: PoolWorker;
  readonly names: HashName[];
  cost: number;
}

interface InFlight {
  readonly slab: SharedArrayBuffer;
  readonly len: number;
  acksLeft: number;
}

/**
 * Hashes one stream on the pool. `write()` copies; call `whenBelow()` to respect the bound on
 * bytes in flight, then `end()` for the digests, or `abort()` to drop everything.
 */
export class RemoteHash {
  private readonly tasks: Task[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private inFlightBytes = 0;
  private seq = 0;
  private slab: SharedArrayBuffer | undefined;
  private bytes: Uint8Array | undefined;
  private fill = 0;
  private failure: Error | undefined;
  private closed = false;
  private waiter: { limit: number; cb: (err?: Error) => void } | undefined;
  private readonly digests = new Map<HashName, Buffer>();
  private pendingDone = 0;
  private finish: { resolve: (d: Map<HashName, Buffer>) => void; reject: (e: Error) => void } | undefined;

  constructor(names: readonly HashName[]) {
    // Heaviest first, each on the least loaded worker this stream does not use yet.
    const byCost = [...names].sort((a, b) => COST[b] - COST[a]);
    const used = new Set<PoolWorker>();
    for (const name of byCost) {
      const worker = pickWorker(used);
      let task = this.tasks.find((t) => t.worker === worker);
      if (task === undefined) {
        task = { id: nextId++, worker, names: [], cost: 0 };
        this.tasks.push(task);
        worker.add(task.id, this.handlers(task));
      }
      used.add(worker);
      task.names.push(name);
      task.cost += COST[name];
      worker.load += COST[name];
    }
    for (const task of this.tasks) task.worker.post({ t: 'start', id: task.id, names: task.names });
  }

  /** Bytes posted to workers and not yet hashed by all of them. */
  get pendingBytes(): number {
    return this.inFlightBytes;
  }

  /** Copies `chunk` into slabs, posting each full slab. */
  write(chunk: Uint8Array): void {
    if (this.closed) throw new Error('RemoteHash: write after end or abort');
    let off = 0;
    while (off < chunk.length) {
      if (this.bytes === undefined) {
        this.slab = takeSlab();
        this.bytes = new Uint8Array(this.slab);
        this.fill = 0;
      }
      const n = Math.min(chunk.length - off, SLAB_SIZE - this.fill);
      this.bytes.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === SLAB_SIZE) this.flushSlab();
    }
  }

  /** Calls `cb` once at most `limit` bytes are in flight (now, or after acks), or on failure. */
  whenBelow(limit: number, cb: (err?: Error) => void): void {
    if (this.failure !== undefined) return cb(this.failure);
    if (this.inFlightBytes <= limit) return cb();
    this.waiter = { limit, cb };
  }

  /** Posts the rest and resolves with one digest per name. */
  end(): Promise<Map<HashName, Buffer>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('RemoteHash: end after end'));
    if (this.fill > 0) this.flushSlab();
    else if (this.slab !== undefined) releaseSlab(this.slab);
    this.slab = this.bytes = undefined;
    this.closed = true;
    return new Promise((resolve, reject) => {
      this.finish = { resolve, reject };
      this.pendingDone = this.tasks.length;
      for (const task of this.tasks) task.worker.post({ t: 'end', id: task.id });
    });
  }

  /** Stops hashing: workers drop the state; slabs still being read are left to the GC. */
  abort(): void {
    this.failure ??= new Error('RemoteHash aborted');
    this.closed = true;
    this.waiter = undefined;
    this.slab = this.bytes = undefined;
    this.inFlight.clear();
    for (const task of this.tasks) {
      if (!task.worker.dead) task.worker.post({ t: 'abort', id: task.id });
      task.worker.remove(task.id, task.cost);
    }
  }

  private flushSlab(): void {
    const slab = this.slab;
    if (slab === undefined) return;
    const seq = this.seq++;
    this.inFlight.set(seq, { slab, len: this.fill, acksLeft: this.tasks.length });
    this.inFlightBytes += this.fill;
    for (const task of this.tasks) {
      task.worker.post({ t: 'data', id: task.id, seq, slab, len: this.fill });
    }
    this.slab = this.bytes = undefined;
    this.fill = 0;
  }

  private handlers(task: Task): TaskHandlers {
    return {
      ack: (seq) => {
        const f = this.inFlight.get(seq);
        if (f === undefined || --f.acksLeft > 0) return;
        this.inFlight.delete(seq);
        this.inFlightBytes -= f.len;
        releaseSlab(f.slab);
        const w = this.waiter;
        if (w !== undefined && this.inFlightBytes <= w.limit) {
          this.waiter = undefined;
          w.cb();
        }
      },
      done: (digests) => {
        task.worker.remove(task.id, task.cost);
        task.names.forEach((name, i) => {
          const d = digests[i];
          if (d !== undefined) this.digests.set(name, Buffer.from(d));
        });
        if (--this.pendingDone === 0) this.finish?.resolve(this.digests);
      },
      fail: (err) => this.fail(err),
    };
  }

  private fail(err: Error): void {
    const w = this.waiter;
    const f = this.finish;
    this.waiter = undefined;
    this.finish = undefined;
    this.failure ??= err;
    this.abort();
    w?.cb(err);
    f?.reject(err);
  }
}

/** Pool state, for tests and diagnostics. @internal */
export function hashPoolStats(): { workers: number; busyTasks: number; freeSlabs: number } {
  return {
    workers: workers.length,
    busyTasks: workers.reduce((n, w) => n + w.tasks.size, 0),
    freeSlabs: freeSlabs.length,
  };
}

/** Stops every worker (graceful shutdown, tests). Running streams fail. */
export async function shutdownHashPool(): Promise<void> {
  const all = workers.splice(0);
  await Promise.all(all.map((w) => w.worker.terminate()));
}
