/**
 * Files of zeros kept beside the metadata database, given back when the volume is full so
 * that SQLite can still commit deletes.
 *
 * What SQLite needs to commit a DELETE in WAL mode: the freed rows' pages are rewritten and
 * go to the database's free list (the main file never grows), but every changed page is
 * first appended to the WAL as a new frame (page size + 24 bytes). The WAL file grows until
 * a checkpoint has copied its frames into the main file and a later writer restarts it from
 * its beginning; from then on it reuses the space it has (it is not truncated). A checkpoint
 * of frames that added pages (earlier PUTs) must grow the main file first. When the last
 * connection closes, the WAL is checkpointed and deleted, so after a restart the first write
 * must create it again, and even the first read must create the 32 KiB shared-memory index
 * (`-shm`; SQLite writes every page of it so that a full volume fails the open instead of
 * crashing it later with SIGBUS). At 0 bytes free all of that fails: SQLITE_FULL on the
 * commit, SQLITE_IOERR_SHMSIZE on the first read after a restart.
 *
 * Hence this reserve, in RESERVE_PIECES files so that it lasts for several rounds: made at
 * start (and again whenever there is room), one piece given back when a commit that frees
 * space finds the volume full (the store then also checkpoints, so that the WAL restarts and
 * reuses its own space), and one before the database is opened on a volume with less free
 * space than a piece: a restart on a full volume that already spent a piece still finds one.
 * Its size covers the shared-memory index, WAL growth between checkpoints and the main-file
 * growth a checkpoint of earlier inserts may need. Statement journals stay in memory
 * (temp_store = MEMORY, sqlite-schema.ts), so no temporary file is needed either.
 */
import { closeSync, fdatasyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isNoSpace } from '../free-space.js';

/** The reserve's files inside the metadata directory: `space-reserve.0` … */
export const RESERVE_FILE = 'space-reserve';
export const DEFAULT_RESERVE_BYTES = 8 * 1024 * 1024;
export const RESERVE_PIECES = 4;
const CHUNK = 1024 * 1024;

const isEnoent = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class SpaceReserve {
  /** Bytes per piece. */
  readonly pieceSize: number;
  private restoring: Promise<boolean> | undefined;

  constructor(
    private readonly dir: string,
    /** Bytes in all pieces. */
    readonly size: number,
  ) {
    this.pieceSize = Math.ceil(size / RESERVE_PIECES);
  }

  private piece(i: number): string {
    return join(this.dir, `${RESERVE_FILE}.${i}`);
  }

  private has(i: number): boolean {
    try {
      return statSync(this.piece(i)).size >= this.pieceSize;
    } catch (err) {
      if (isEnoent(err)) return false;
      throw err;
    }
  }

  /** How many whole pieces are there. */
  pieces(): number {
    let n = 0;
    for (let i = 0; i < RESERVE_PIECES; i++) if (this.has(i)) n++;
    return n;
  }

  /** Give one piece back to the volume; false if none was left. Synchronous: the retry runs next. */
  releaseOne(): boolean {
    for (let i = RESERVE_PIECES - 1; i >= 0; i--) {
      try {
        unlinkSync(this.piece(i));
        return true;
      } catch (err) {
        if (!isEnoent(err)) throw err;
      }
    }
    return false;
  }

  /**
   * Make the missing pieces (zeros, really allocated: a sparse file would give nothing back),
   * each under a temporary name first, so a piece present is always whole. Resolves false if
   * the volume filled up meanwhile (the partial piece is removed).
   */
  restore(): Promise<boolean> {
    this.restoring ??= this.writeMissing().finally(() => (this.restoring = undefined));
    return this.restoring;
  }

  /** Resolves when no restore is running. */
  async idle(): Promise<void> {
    await this.restoring?.catch(() => false);
  }

  /** restore(), synchronously: at start, before anything is served. */
  restoreNow(): boolean {
    for (let i = 0; i < RESERVE_PIECES; i++) {
      if (this.has(i)) continue;
      const path = this.piece(i);
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        const zeros = Buffer.alloc(Math.min(CHUNK, this.pieceSize));
        for (let at = 0; at < this.pieceSize; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, this.pieceSize - at));
        fdatasyncSync(fd);
      } catch (err) {
        closeSync(fd);
        unlinkSync(tmp);
        if (isNoSpace(err)) return false;
        throw err;
      }
      closeSync(fd);
      renameSync(tmp, path);
    }
    return true;
  }

  private async writeMissing(): Promise<boolean> {
    for (let i = 0; i < RESERVE_PIECES; i++) {
      if (!this.has(i) && !(await this.write(this.piece(i)))) return false;
    }
    // Not needed for safety (a lost piece is made again at the next chance), only so that the
    // pieces survive a crash, which is when a restart on a full volume needs them.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return true;
  }

  private async write(path: string): Promise<boolean> {
    const tmp = `${path}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      const zeros = Buffer.alloc(Math.min(CHUNK, this.pieceSize));
      for (let at = 0; at < this.pieceSize; at += zeros.length) {
        await file.write(zeros, 0, Math.min(zeros.length, this.pieceSize - at));
      }
      await file.datasync();
    } catch (err) {
      await file.close();
      await unlink(tmp);
      if (isNoSpace(err)) return false;
      throw err;
    }
    await file.close();
    await rename(tmp, path);
    return true;
  }
}
