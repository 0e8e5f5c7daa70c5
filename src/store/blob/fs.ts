import * as fs from 'node:fs';
import { mkdir, opendir, readdir, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { BLOB_WRITER_REFRESH_MS, BlobStoreError, type BlobIntentHook, type BlobSegment, type BlobStore, type BlobWriter } from './types.js';
import { FreeSpace, StorageFullError, isNoSpace, type FreeSpaceOptions } from '../free-space.js';

/**
 * The file system calls a blob write makes, one per step. Tests replace one of them to
 * inject a fault (ENOSPC at the rename …) into the real store.
 */
export interface BlobFs {
  open(path: string, flags: string, mode?: number): Promise<number>;
  writev(fd: number, buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, opts: { recursive: true; mode: number }): Promise<string | undefined>;
}

/** The real calls (tests wrap them). */
export const NODE_BLOB_FS: Readonly<BlobFs> = {
  open: promisify(fs.open),
  writev: promisify(fs.writev),
  fdatasync: promisify(fs.fdatasync),
  fsync: promisify(fs.fsync),
  close: promisify(fs.close),
  rename: promisify(fs.rename),
  mkdir: (path, opts) => mkdir(path, opts),
};

export const DEFAULT_INLINE_MAX = 64 * 1024;
/** Incoming chunks are coalesced into writes of at least this size (measured: see bench). */
export const WRITE_COALESCE = 1024 * 1024;
/** Size of the pieces a range read yields. */
export const READ_CHUNK = 256 * 1024;

const BLOBS = 'blobs';
const TMP = 'tmp';
/** Ids are 128 random bits in hex; anything else found under blobs/ is not ours. */
const ID_RE = /^[0-9a-f]{32}$/;

export interface FsBlobStoreOptions {
  /** Bodies of at most this many bytes are returned inline (no file I/O). */
  readonly inlineMax?: number;
  /** Coalesce incoming chunks into file writes of at least this many bytes (default 1 MiB). */
  readonly writeCoalesce?: number;
  /** The free-space floor of the blobs' volume (see FreeSpace). */
  readonly freeSpace?: FreeSpaceOptions;
  /** Tests: replace file system calls to inject faults. */
  readonly fs?: Partial<BlobFs>;
  /**
   * Journals each file blob before its rename makes it visible (openStores wires it to the
   * metadata store's reclaim journal); without it (tests of the blob store alone) nothing is.
   */
  readonly registerIntent?: BlobIntentHook;
}

type FileBlob = Extract<BlobSegment, { kind: 'file' }>;

const isErrno = (err: unknown, code: string): boolean =>
  (err as NodeJS.ErrnoException | null)?.code === code;

const ioError = (what: string, err: unknown): BlobStoreError | StorageFullError =>
  err instanceof BlobStoreError || err instanceof StorageFullError ? err : new BlobStoreError('STRONGBOX_BLOB_IO', what, { cause: err });

/**
 * fsync of directories, coalesced per directory: while one fsync runs, every later request
 * waits for the single next one (which covers all renames made before it starts).
 */
class DirSyncer {
  constructor(private readonly fs: BlobFs) {}

  private readonly state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  sync(dir: string): Promise<void> {
    const s = this.state.get(dir);
    if (s === undefined) {
      const entry: { running: Promise<void>; next?: Promise<void> } = {
        running: Promise.resolve(),
      };
      this.state.set(dir, entry);
      entry.running = this.run(dir, entry);
      return entry.running;
    }
    if (s.next !== undefined) return s.next;
    const next = s.running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      delete s.next;
      s.running = this.run(dir, s);
      return s.running;
    });
    s.next = next;
    return next;
  }

  private async run(
    dir: string,
    entry: { running: Promise<void>; next?: Promise<void> },
  ): Promise<void> {
    try {
      const fd = await this.fs.open(dir, 'r');
      try {
        await this.fs.fsync(fd);
      } finally {
        await this.fs.close(fd);
      }
    } finally {
      if (entry.next === undefined && this.state.get(dir) === entry) this.state.delete(dir);
    }
  }

  /** Resolves when every sync requested so far has finished. */
  async idle(): Promise<void> {
    while (this.state.size > 0) {
      await Promise.allSettled([...this.state.values()].map((s) => s.next ?? s.running));
    }
  }
}

type WriterState = 'buffering' | 'file' | 'done' | 'aborted';

class FsBlobWriter extends Writable implements BlobWriter {
  private state: WriterState = 'buffering';
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private fileBytes = 0;
  private fd: number | undefined;
  private tmpPath: string | undefined;
  private finalPath: string | undefined;
  private segment: BlobSegment | undefined;
  /** The file operation in progress (open, write, sync, close), so cleanup can wait for it. */
  private io: Promise<unknown> = Promise.resolve();
  private aborting: Promise<void> | undefined;
  /** When the temporary file was last written (its mtime): kept fresh for the sweep of leftovers. */
  private lastFileWrite = 0;

  constructor(
    private readonly store: FsBlobStore,
    private readonly inlineMax: number,
    private readonly coalesce: number,
    sizeHint: number | undefined,
  ) {
    super({ highWaterMark: coalesce });
    if (sizeHint !== undefined && sizeHint > inlineMax) this.state = 'file';
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.io = p.catch(() => undefined);
    return p;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.state === 'buffering' && this.bufferedBytes <= this.inlineMax) return cb();
    // A slow body is still written every BLOB_WRITER_REFRESH_MS, so that its temporary file
    // never looks abandoned to sweepUnfinished.
    const stale = this.fd !== undefined && performance.now() - this.lastFileWrite >= BLOB_WRITER_REFRESH_MS;
    if (this.bufferedBytes < this.coalesce && !stale) {
      if (this.state === 'buffering') {
        this.state = 'file';
        this.track(this.openTmp()).then(() => cb(), cb);
        return;
      }
      return cb();
    }
    this.track(this.flushBuffered()).then(() => cb(), cb);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    // Called with everything that queued up while the previous write was in flight.
    for (const c of chunks.slice(0, -1)) {
      this.buffered.push(c.chunk);
      this.bufferedBytes += c.chunk.length;
    }
    const last = chunks[chunks.length - 1];
    if (last === undefined) return cb();
    this._write(last.chunk, last.encoding, cb);
  }

  private async openTmp(): Promise<void> {
    if (this.fd !== undefined) return;
    this.state = 'file';
    const path = this.store.tmpPath();
    this.tmpPath = path;
    try {
      this.fd = await this.store.fs.open(path, 'wx', 0o600);
      this.lastFileWrite = performance.now();
    } catch (err) {
      this.tmpPath = undefined;
      throw this.store.failure('cannot create temporary blob file', err);
    }
  }

  private async flushBuffered(): Promise<void> {
    await this.openTmp();
    const bufs = this.buffered;
    this.buffered = [];
    this.bufferedBytes = 0;
    if (bufs.length === 0 || this.fd === undefined) return;
    let size = 0;
    for (const b of bufs) size += b.length;
    try {
      await writeAll(this.store.fs, this.fd, bufs);
      this.fileBytes += size;
      this.lastFileWrite = performance.now();
    } catch (err) {
      throw this.store.failure('blob write failed', err);
    } finally {
      // Counted even when a write fails part-way: the space is used until the file is removed.
      this.store.space.consumed(size);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.track(this.seal()).then(() => cb(), cb);
  }

  /** Make the body durable: inline, or fdatasync + rename + directory fsync. */
  private async seal(): Promise<void> {
    // Small enough and no file yet (even with a large size hint): inline costs no file I/O.
    if (this.fd === undefined && this.bufferedBytes <= this.inlineMax) {
      // A compact copy: a chunk may be a view into a much larger socket buffer, which would
      // otherwise stay alive with the record and be cloned whole to the metadata writer.
      const data = Buffer.allocUnsafeSlow(this.bufferedBytes);
      let at = 0;
      for (const chunk of this.buffered) at += chunk.copy(data, at);
      this.buffered = [];
      this.state = 'done';
      this.segment = { kind: 'inline', data };
      return;
    }
    await this.flushBuffered();
    const fd = this.fd;
    const tmp = this.tmpPath;
    if (fd === undefined || tmp === undefined) throw ioError('blob writer lost its file', null);
    const size = this.fileBytes;
    const id = randomBytes(16).toString('hex');
    // The intent must be durable before the rename makes the blob visible: a crash after the
    // rename leaves a blob that only the journal knows of. Written while the data syncs, so it
    // costs no latency unless the metadata commit is the slower of the two.
    const intent = this.store.registerIntent({ kind: 'file', id, size });
    const synced = (async () => {
      await this.store.fs.fdatasync(fd);
      this.fd = undefined;
      await this.store.fs.close(fd);
    })();
    const [data, journaled] = await Promise.allSettled([synced, intent]);
    if (data.status === 'rejected') throw this.store.failure('blob sync failed', data.reason);
    if (journaled.status === 'rejected') {
      const err: unknown = journaled.reason;
      throw err instanceof StorageFullError ? err : ioError('cannot journal the blob before making it visible', err);
    }
    const { dir, path } = await this.store.prepareDir(id);
    try {
      await this.store.fs.rename(tmp, path);
    } catch (err) {
      throw this.store.failure('blob rename failed', err);
    }
    this.tmpPath = undefined;
    this.finalPath = path;
    this.state = 'done';
    try {
      await this.store.syncDir(dir);
    } catch (err) {
      throw this.store.failure('blob directory sync failed', err);
    }
    this.segment = { kind: 'file', id, size };
  }

  async finish(): Promise<BlobSegment> {
    if (!this.writableEnded && !this.destroyed) this.end();
    await finished(this, { readable: false });
    if (this.segment === undefined) throw ioError('blob writer did not finish', null);
    return this.segment;
  }

  abort(): Promise<void> {
    this.aborting ??= this.cleanup(true);
    if (!this.destroyed) this.destroy();
    return this.aborting;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A normal end (autoDestroy after 'finish') keeps the blob; anything else removes it.
    if (err === null && this.writableFinished) return cb();
    this.aborting ??= this.cleanup(false);
    this.aborting.then(
      () => cb(err),
      () => cb(err),
    );
  }

  /** Close and unlink the temporary file; with `all`, also the finished blob. */
  private async cleanup(all: boolean): Promise<void> {
    await this.io;
    // Keep a finished blob unless asked: its segment may already be referenced.
    const keepFinal = !all && this.writableFinished;
    this.state = 'aborted';
    this.buffered = [];
    this.bufferedBytes = 0;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await this.store.fs.close(fd).catch(() => undefined); // the unlink below is what matters
    }
    const paths = [this.tmpPath, keepFinal ? undefined : this.finalPath];
    this.tmpPath = undefined;
    if (!keepFinal) this.finalPath = undefined;
    for (const p of paths) {
      if (p === undefined) continue;
      try {
        await unlink(p);
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw ioError('cannot remove blob file', e);
      }
    }
  }
}

/** Write every buffer, continuing after short writes. */
async function writeAll(fsl: BlobFs, fd: number, bufs: Buffer[]): Promise<void> {
  let pending = bufs;
  while (pending.length > 0) {
    const { bytesWritten } = await fsl.writev(fd, pending);
    let n = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (n >= b.length) n -= b.length;
      else {
        rest.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    pending = rest;
  }
}

/** Streams bytes [start, end] of a file; the file is opened first, so absence is an error. */
class FileRangeReader extends Readable {
  private fd: number | undefined;
  private pos: number;

  constructor(
    private readonly path: string,
    start: number,
    private readonly end: number,
    private readonly chunk: number,
  ) {
    super({ highWaterMark: chunk });
    this.pos = start;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    fs.open(this.path, 'r', (err, fd) => {
      if (err) {
        cb(
          isErrno(err, 'ENOENT')
            ? new BlobStoreError('STRONGBOX_BLOB_MISSING', 'blob file is missing', { cause: err })
            : ioError('cannot open blob file', err),
        );
        return;
      }
      this.fd = fd;
      cb();
    });
  }

  override _read(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    const len = Math.min(this.chunk, this.end - this.pos + 1);
    if (len <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(len);
    fs.read(fd, buf, 0, len, this.pos, (err, n) => {
      if (err) return this.destroy(ioError('blob read failed', err));
      if (n === 0) return this.destroy(new BlobStoreError('STRONGBOX_BLOB_SHORT', 'blob file is shorter than its record'));
      this.pos += n;
      this.push(n === len ? buf : buf.subarray(0, n));
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return cb(err);
    fs.close(fd, () => cb(err));
  }
}

/**
 * Blobs as files: `dir/blobs/<2 hex>/<2 hex>/<32 hex id>`, temporary files in `dir/tmp/`.
 * Object keys never become paths.
 */
export class FsBlobStore implements BlobStore {
  readonly inlineMax: number;
  readonly writeCoalesce: number;
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly dirs: DirSyncer;
  /** @internal the file system calls writers make */
  readonly fs: BlobFs;
  /** @internal free space on the blobs' volume */
  readonly space: FreeSpace;
  /** Shard directories known to exist (and whose creation is durable). */
  private readonly knownDirs = new Map<string, Promise<void>>();

  /** @internal use openFsBlobStore */
  constructor(readonly dir: string, opts: FsBlobStoreOptions) {
    this.inlineMax = opts.inlineMax ?? DEFAULT_INLINE_MAX;
    this.writeCoalesce = opts.writeCoalesce ?? WRITE_COALESCE;
    this.blobsDir = join(dir, BLOBS);
    this.tmpDir = join(dir, TMP);
    fs.mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    this.fs = { ...NODE_BLOB_FS, ...opts.fs };
    this.dirs = new DirSyncer(this.fs);
    this.space = new FreeSpace(dir, opts.freeSpace);
    this.intentHook = opts.registerIntent;
  }
  private readonly intentHook: BlobIntentHook | undefined;

  /**
   * Throws StorageFullError when the blobs' volume is below its free-space floor, or would
   * be after `incoming` more bytes.
   */
  requireRoom(incoming?: number): void {
    this.space.requireRoom(incoming);
  }

  /** @internal The error a failed file system call becomes; ENOSPC also marks the volume full. */
  failure(what: string, err: unknown): BlobStoreError | StorageFullError {
    if (!isNoSpace(err)) return ioError(what, err);
    this.space.noteFull();
    return new StorageFullError(`${what}: no space left on the blobs' volume`, { cause: err });
  }

  createWriter(sizeHint?: number): BlobWriter {
    return new FsBlobWriter(this, this.inlineMax, this.writeCoalesce, sizeHint);
  }

  read(segment: BlobSegment, start: number, end: number, chunkSize = READ_CHUNK): Readable {
    const size = segment.kind === 'file' ? segment.size : segment.data.length;
    const last = Math.min(end, size - 1);
    const first = Math.max(0, start);
    if (segment.kind === 'inline') {
      const slice = last < first ? [] : [segment.data.subarray(first, last + 1)];
      return Readable.from(slice, { objectMode: false });
    }
    const path = this.blobPath(segment.id);
    // An empty range still opens the file, so a missing blob is reported either way.
    return new FileRangeReader(path, first, last, chunkSize);
  }

  async delete(segments: readonly BlobSegment[]): Promise<void> {
    for (const s of segments) {
      // An id that is not ours names no file here: nothing to remove (a drain never sticks on it).
      if (s.kind !== 'file' || !ID_RE.test(s.id)) continue;
      try {
        await unlink(this.blobPath(s.id));
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw ioError('cannot remove blob', err);
      }
    }
  }

  /**
   * Remove temporary files not written for `olderThanMs` (by their mtime): leftovers of a
   * process killed mid-write. An active writer writes its file at least every
   * BLOB_WRITER_REFRESH_MS while bytes arrive, and a body that sends nothing for the
   * body-idle timeout is cut off, so `olderThanMs` must exceed both.
   */
  async sweepUnfinished(olderThanMs: number): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      try {
        if (now - (await stat(path)).mtimeMs < olderThanMs) continue;
        await unlink(path);
        removed++;
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw ioError('cannot remove a temporary file', err);
      }
    }
    return removed;
  }

  /**
   * Every blob file, for the one-time sweep after an upgrade from a version without the
   * reclaim journal (openStores). Files under blobs/ that are not ours are left alone.
   */
  async *listFileBlobs(): AsyncGenerator<FileBlob> {
    for (const ea of await readdir(this.blobsDir, { withFileTypes: true })) {
      if (!ea.isDirectory()) continue;
      const da = join(this.blobsDir, ea.name);
      for (const eb of await readdir(da, { withFileTypes: true })) {
        if (!eb.isDirectory()) continue;
        const db = join(da, eb.name);
        for await (const entry of await opendir(db)) {
          const id = entry.name;
          if (!entry.isFile() || !ID_RE.test(id) || !id.startsWith(ea.name + eb.name)) continue;
          try {
            yield { kind: 'file', id, size: (await stat(join(db, id))).size };
          } catch (err) {
            if (!isErrno(err, 'ENOENT')) throw ioError('cannot list blobs', err);
          }
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.dirs.idle();
  }

  // ---- used by writers ----

  /** @internal journal a blob before it becomes visible (resolves at once without a hook) */
  registerIntent(blob: FileBlob): Promise<void> {
    return this.intentHook === undefined ? Promise.resolve() : this.intentHook(blob);
  }

  /** @internal */
  tmpPath(): string {
    return join(this.tmpDir, `${randomBytes(16).toString('hex')}.tmp`);
  }

  /** @internal */
  blobPath(id: string): string {
    if (!ID_RE.test(id)) throw new BlobStoreError('STRONGBOX_BLOB_MISSING', 'invalid blob id');
    return join(this.blobsDir, id.slice(0, 2), id.slice(2, 4), id);
  }

  /** @internal The shard directory of `id`, created (durably) if needed. */
  async prepareDir(id: string): Promise<{ dir: string; path: string }> {
    const path = this.blobPath(id);
    const a = join(this.blobsDir, id.slice(0, 2));
    const dir = join(a, id.slice(2, 4));
    let ready = this.knownDirs.get(dir);
    if (ready === undefined) {
      ready = this.createDir(a, dir);
      this.knownDirs.set(dir, ready);
      ready.catch(() => this.knownDirs.delete(dir));
    }
    try {
      await ready;
    } catch (err) {
      throw this.failure('cannot create blob directory', err);
    }
    return { dir, path };
  }

  private async createDir(a: string, dir: string): Promise<void> {
    const created = await this.fs.mkdir(dir, { recursive: true, mode: 0o700 });
    if (created === undefined) return;
    // New directory entries must be durable before a blob inside them is acknowledged.
    if (created === a) await this.dirs.sync(this.blobsDir);
    await this.dirs.sync(a);
  }

  /** @internal */
  syncDir(dir: string): Promise<void> {
    return this.dirs.sync(dir);
  }
}

/** Open (creating `dir/blobs` and `dir/tmp`, mode 0700) a filesystem blob store. */
export function openFsBlobStore(dir: string, opts: FsBlobStoreOptions = {}): FsBlobStore {
  return new FsBlobStore(dir, opts);
}
