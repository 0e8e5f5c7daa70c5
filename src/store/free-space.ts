/**
 * Free space on a store's volume, and the floor below which the store takes no new data.
 * Every store owns one for its own directory, so metadata and blobs may live on different
 * volumes. statfs costs one system call and no disk I/O; it is still cached for a short
 * interval, and bytes the store writes meanwhile are subtracted, so a burst of writes cannot
 * overshoot the floor by a whole interval. An ENOSPC marks the volume full at once.
 */
import { statfsSync } from 'node:fs';

const MiB = 1024 * 1024;
/** The default floor is the larger of this and DEFAULT_FLOOR_FRACTION of the volume. */
export const DEFAULT_FLOOR_BYTES = 256 * MiB;
export const DEFAULT_FLOOR_FRACTION = 0.01;
/** How long a statfs answer is trusted. */
export const FREE_SPACE_CACHE_MS = 1000;

/** Volume sizes, as statfs gives them. */
export interface VolumeStats {
  /** Bytes an unprivileged writer may still use. */
  readonly available: number;
  /** Size of the volume. */
  readonly total: number;
}

export interface FreeSpaceOptions {
  /** Refuse new data below this many free bytes; undefined: the larger of 256 MiB and 1 % of the volume. */
  readonly minFree?: number | undefined;
  /** Injected by tests; default statfs of the directory. */
  readonly statfs?: (dir: string) => VolumeStats;
  /** Injected by tests; default performance.now. */
  readonly now?: () => number;
}

/** The stable code of StorageFullError. */
export const STORAGE_FULL = 'STRONGBOX_STORAGE_FULL';

/**
 * A store cannot take new data: its volume is below the free-space floor, or a write hit
 * ENOSPC. Thrown by every store; the pipeline answers 507 InsufficientStorage.
 */
export class StorageFullError extends Error {
  readonly code = STORAGE_FULL;
  /**
   * True when the write may have been stored all the same (a metadata commit whose fdatasync
   * failed): the caller must not remove what it references. False: nothing was written.
   */
  readonly mayBeStored: boolean;
  constructor(message: string, options?: ErrorOptions & { mayBeStored?: boolean }) {
    super(message, options);
    this.name = 'StorageFullError';
    this.mayBeStored = options?.mayBeStored ?? false;
  }
}

/** ENOSPC (no space left) or EDQUOT (quota), from Node or from SQLite. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // SQLite: SQLITE_FULL for a write that found no space; SQLITE_IOERR_SHMSIZE when its
  // shared-memory index cannot grow (the first read after a restart on a full volume).
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE';
}

function statVolume(dir: string): VolumeStats {
  const s = statfsSync(dir);
  return { available: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

const BINARY: Readonly<Record<string, number>> = { B: 1, K: 1024, KIB: 1024, M: 1024 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GIB: 1024 ** 3, T: 1024 ** 4, TIB: 1024 ** 4 };
const DECIMAL: Readonly<Record<string, number>> = { KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/**
 * Parses `--min-free-space`: a byte count with an optional unit: KiB, MiB, GiB, TiB (or K, M,
 * G, T) are powers of 1024, KB, MB, GB, TB powers of 1000. Undefined if it is not one.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (m === null) return undefined;
  const unit = (m[2] ?? '').toUpperCase() || 'B';
  const factor = BINARY[unit] ?? DECIMAL[unit];
  if (factor === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export class FreeSpace {
  /** Bytes that must stay free; new data is refused below it. */
  readonly floor: number;
  private readonly statfs: (dir: string) => VolumeStats;
  private readonly now: () => number;
  private available: number;
  private checkedAt: number;
  /** Bytes written by this store since the last statfs. */
  private written = 0;

  constructor(
    readonly dir: string,
    opts: FreeSpaceOptions = {},
  ) {
    this.statfs = opts.statfs ?? statVolume;
    this.now = opts.now ?? (() => performance.now());
    const first = this.statfs(dir);
    this.available = first.available;
    this.checkedAt = this.now();
    this.floor = opts.minFree ?? Math.max(DEFAULT_FLOOR_BYTES, Math.ceil(first.total * DEFAULT_FLOOR_FRACTION));
  }

  /** Free bytes on the volume (refreshed when the last look is older than FREE_SPACE_CACHE_MS). */
  bytesFree(): number {
    if (this.now() - this.checkedAt >= FREE_SPACE_CACHE_MS) this.refresh();
    return Math.max(0, this.available - this.written);
  }

  /** Throws StorageFullError unless `incoming` more bytes still leave the floor free. */
  requireRoom(incoming = 0): void {
    const free = this.bytesFree();
    // A full volume refuses even with a floor of 0.
    if (free <= 0 || free - incoming < this.floor) {
      throw new StorageFullError(`less than the free-space floor (${this.floor} bytes) is left on the volume of ${this.dir}`);
    }
  }

  /** The store wrote this many bytes (counted until the next statfs). */
  consumed(bytes: number): void {
    this.written += bytes;
  }

  /**
   * A write hit ENOSPC: that is the freshest answer there is, so the volume counts as full
   * until the next statfs (one interval later) says otherwise.
   */
  noteFull(): void {
    this.available = 0;
    this.written = 0;
    this.checkedAt = this.now();
  }

  /** Look at the volume now. */
  refresh(): void {
    this.available = this.statfs(this.dir).available;
    this.written = 0;
    this.checkedAt = this.now();
  }
}
