/**
 * Crash injection for the crash harness (test/integration/crash-harness.ts, issue 14): with
 * the hidden `strongbox serve --crash-at POINT[:N]`, the server SIGKILLs itself the Nth time
 * (default the first) it reaches the named point, so a test can restart it on the same data
 * and check what survived. Without the flag (always, outside tests) a call is one property
 * read. The points sit where a crash is most likely to leave something half done; a crash
 * during a body needs no point (the harness kills at random moments).
 */

/** Every named point, in the order a write reaches them (listed in the README, "Testing"). */
export const CRASH_POINTS = [
  /** PutObject, UploadPart, CopyObject (rewrite): the body's blob is durable; no record names it yet. */
  'blob-synced',
  /** PutObject, CopyObject: the record is committed; the replaced version's blobs are still there; no answer sent. */
  'object-committed',
  /** CompleteMultipartUpload: the parts are checked and the record built; nothing committed. */
  'complete-before-commit',
  /** CompleteMultipartUpload: the object replaced the upload; replaced and unused parts' blobs are still there. */
  'complete-committed',
  /** CopyObject onto itself keeping the stored bytes (a new SSE-C key): the data key is sealed anew, not committed. */
  'reseal-before-commit',
  /** The same, committed; no answer sent. */
  'reseal-committed',
  /** Root key re-seal in the background after a rotation: one more record moved to the newest version. */
  'root-reseal-record',
] as const;

export type CrashPointName = (typeof CRASH_POINTS)[number];

/** Where `--crash-at` asks the server to die: the `nth` time it reaches `point`. */
export interface CrashAt {
  readonly point: CrashPointName;
  readonly nth: number;
}

/** What crashPoint needs of the configuration (Config.testCrashPoint). */
export interface CrashConfig {
  readonly testCrashPoint: CrashAt | undefined;
}

const isPoint = (s: string): s is CrashPointName => (CRASH_POINTS as readonly string[]).includes(s);

/** `POINT` or `POINT:N` (N ≥ 1), or undefined if it is neither. */
export function parseCrashAt(value: string): CrashAt | undefined {
  const m = /^([a-z-]+)(?::(\d{1,9}))?$/.exec(value.trim());
  const point = m?.[1];
  const nth = m?.[2] === undefined ? 1 : Number(m[2]);
  if (point === undefined || !isPoint(point) || nth < 1) return undefined;
  return Object.freeze({ point, nth });
}

/** Hits so far, per configuration (a test process may hold several). */
const hits = new WeakMap<CrashAt, number>();

/**
 * Dies at once (SIGKILL: no handler, no flush, no exit hooks) if the configuration names this
 * point and this is the Nth time it is reached. The line on stderr (synchronous on a pipe or
 * file) tells the harness which point fired.
 */
export function crashPoint(config: CrashConfig | undefined, point: CrashPointName): void {
  const at = config?.testCrashPoint;
  if (at === undefined || at.point !== point) return;
  const n = (hits.get(at) ?? 0) + 1;
  hits.set(at, n);
  if (n < at.nth) return;
  process.stderr.write(`strongbox: crash point ${point} reached (${n}): SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
