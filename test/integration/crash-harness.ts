/**
 * Crash harness (issue 14): kills the server with SIGKILL, again and again, at named points
 * (`serve --crash-at POINT:N`, src/testing/crash-point.ts) and at random moments while bodies
 * stream in, restarts it on the same data directory and checks after every restart that
 *   - every acknowledged write is intact: bytes and ETag, and an SSE-C object opens with the
 *     key it was acknowledged with (after an interrupted re-seal: the old key or the new one);
 *   - nothing torn is served: each object is its last acknowledged version or the one whose
 *     write was in flight, never a mix and never unreadable;
 *   - nothing is orphaned once the reclaim journal has drained (the server runs with a short
 *     `--reclaim-grace`; the store's `drain` runs a pass): no blob that no record names, no
 *     temporary file, no part without its upload, no upload nobody created.
 * The store under test is a parameter (`crashSuite(store)`): each store the project gains
 * (PostgreSQL metadata, an S3 blob store) passes its serve arguments and an inventory of what
 * it holds, and runs the same suite. The SIGKILL tests a process crash: what the kernel has
 * accepted survives it. A power cut is stricter (only fsync'ed bytes survive); it needs a VM or
 * a fault-injecting block device, not this harness.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CRASH_POINTS, type CrashPointName } from '../../src/testing/crash-point.js';
import { MAIN_JS, bodyBytes, run, s3Client, startServer, type Credentials, type TestServer } from './harness.js';
import { makeKey, type SseKey } from './fixtures/sse-c.js';

// ---- the store under test ----------------------------------------------------------------------

/** What a store holds besides live data, read straight from the store (the server may be idle). */
export interface StoreInventory {
  /** Blob files (or objects) that no object segment or part record names. */
  readonly unreferencedBlobs: readonly string[];
  /** Leftovers of interrupted writes: temporary files, staging objects. */
  readonly temporary: readonly string[];
  /** Part records whose upload record is gone. */
  readonly strayParts: number;
}

/** A store configuration the suite runs against. */
export interface CrashStore {
  /** As test names and the report show it. */
  readonly name: string;
  /** Extra `strongbox serve` arguments that select and configure the store. */
  readonly serveArgs: readonly string[];
  /** Prepare a new data directory (create a database, a blob bucket …); optional. */
  prepare?(dataDir: string): Promise<void>;
  /**
   * One pass of the reclaim journal's drain, with temporary files counted as leftovers at any
   * age (the server is idle then); called right after a restart, before inventory.
   */
  drain(dataDir: string): Promise<void>;
  /** What the store holds; called right after a restart and a drain, before any write. */
  inventory(dataDir: string): Promise<StoreInventory>;
  /** Remove whatever the store keeps outside the data directory; optional. */
  dispose?(dataDir: string): Promise<void>;
}

export interface CrashSuiteOptions {
  /** Kills in all (at least one per kind). */
  readonly kills: number;
  /** Seeds every choice the harness makes (not the timing of the machine). */
  readonly seed: number;
  /** Called with the figures at the end (the torture run prints them). */
  readonly report?: (report: CrashReport) => void;
  /** Called with one line per round (kind, and milliseconds spent starting, checking, writing). */
  readonly trace?: (line: string) => void;
}

/** How a kill happened: at a named point, or by the harness while bodies were streaming. */
export type KillKind = CrashPointName | 'body-timing';
export const KILL_KINDS: readonly KillKind[] = ['body-timing', ...CRASH_POINTS];

export interface CrashReport {
  readonly store: string;
  readonly seed: number;
  readonly seconds: number;
  /** Kills per kind (the named ones fired by the server itself). */
  readonly kills: Readonly<Record<string, number>>;
  /** Rounds whose point was not reached in time; the harness killed the server instead. */
  readonly missed: Readonly<Record<string, number>>;
  /** Write requests acknowledged (PUT, DELETE, CopyObject re-seal, Complete). */
  readonly acknowledgedWrites: number;
  /** Object states checked after restarts whose expected state is an acknowledged write. */
  readonly acknowledgedChecked: number;
  /** Objects checked after restarts, in all (absent ones included). */
  readonly objectsChecked: number;
  /** Writes in flight at a kill, found applied / found not applied (both are allowed). */
  readonly inFlightApplied: number;
  readonly inFlightNotApplied: number;
  readonly torn: number;
  readonly lostAcknowledged: number;
  readonly orphans: number;
  readonly problems: readonly string[];
}

// ---- deterministic choices and bodies -------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failing run can be replayed by its seed. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    let r = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [k, w] of entries) if ((r -= w) < 0) return k;
    return entries[entries.length - 1]![0];
  }
}

/** `size` pseudo-random bytes from `seed` (xorshift32 words: fast enough for MiBs). */
function bodyFor(seed: number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, size);
}

const sha = (...parts: Buffer[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const KiB = 1024;
const MiB = 1024 * KiB;

// ---- the model of what the server acknowledged ------------------------------------------------------

type Mode = 'sse-s3' | 'sse-c' | 'sse-kms';

/** One version of an object, as written. */
interface Version {
  readonly id: number;
  readonly sha: string;
  readonly size: number;
  readonly mode: Mode;
  readonly customerKey: SseKey | undefined;
  /** Known once acknowledged. */
  etag: string | undefined;
}

interface KeyState {
  /** The last acknowledged state: a version, or null for absent. */
  acked: Version | null;
  /** A write in flight when the server died (null: a delete); it may or may not have happened. */
  pending: { readonly v: Version | null } | undefined;
  /** Bodies this key had before, to tell a lost write (an older version came back) from a torn one. */
  readonly history: Set<string>;
  /** Whether an acknowledged write ever set this key. */
  written: boolean;
}

interface UploadState {
  readonly key: string;
  readonly mode: Mode;
  readonly customerKey: SseKey | undefined;
  /** Acknowledged parts: number → ETag. */
  readonly parts: Map<number, string>;
  /** A part whose upload was in flight. */
  pendingPart: number | undefined;
  /** The version a Complete in flight would make. */
  completing: Version | undefined;
}

interface Counters {
  acknowledgedWrites: number;
  acknowledgedChecked: number;
  objectsChecked: number;
  inFlightApplied: number;
  inFlightNotApplied: number;
  torn: number;
  lostAcknowledged: number;
  orphans: number;
  readonly problems: string[];
}

const sseHeaders = (k: SseKey | undefined) => (k === undefined ? {} : { SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.b64 });
const modeHeaders = (mode: Mode, k: SseKey | undefined) =>
  mode === 'sse-c' ? sseHeaders(k) : { ServerSideEncryption: mode === 'sse-kms' ? ('aws:kms' as const) : ('AES256' as const) };

/** Errors that mean the server is gone (or went while the request was on the wire). */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode !== undefined) return false;
  const text = `${String(e.code)} ${String(e.name)} ${String(e.message)}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|other side closed|aborted|TimeoutError/i.test(text);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- one run ---------------------------------------------------------------------------------------

const WORKERS = 4;
const KEYS_PER_WORKER = 4;
/** How long a round waits for its named point before the harness kills the server itself. */
const POINT_TIMEOUT_MS = 20_000;

type Op = 'put' | 'delete' | 'reseal' | 'multipart';

/** What each round's workload does most, so that its point is reached soon. */
function weightsFor(kind: KillKind): Record<Op, number> {
  if (kind === 'complete-before-commit' || kind === 'complete-committed') return { put: 15, delete: 5, reseal: 5, multipart: 75 };
  if (kind === 'reseal-before-commit' || kind === 'reseal-committed') return { put: 25, delete: 5, reseal: 70, multipart: 0 };
  return { put: 75, delete: 8, reseal: 10, multipart: 7 };
}

class CrashRun {
  private readonly rng: Rng;
  private readonly keys = new Map<string, KeyState>();
  private readonly uploads = new Map<string, UploadState>();
  /** Keys with a CreateMultipartUpload in flight at a kill: an upload nobody knows may exist. */
  private readonly pendingCreates = new Set<string>();
  private nextVersion = 1;
  private nextSeed: number;
  private nextKey = 0;
  readonly counters: Counters = {
    acknowledgedWrites: 0,
    acknowledgedChecked: 0,
    objectsChecked: 0,
    inFlightApplied: 0,
    inFlightNotApplied: 0,
    torn: 0,
    lostAcknowledged: 0,
    orphans: 0,
    problems: [],
  };
  readonly kills: Record<string, number> = {};
  readonly missed: Record<string, number> = {};

  constructor(
    private readonly store: CrashStore,
    private readonly dataDir: string,
    private readonly root: Credentials,
    private readonly bucket: string,
    readonly seed: number,
  ) {
    this.rng = new Rng(seed);
    this.nextSeed = seed * 1000;
    for (let w = 0; w < WORKERS; w++) {
      for (let k = 0; k < KEYS_PER_WORKER; k++) this.keys.set(`w${w}/k${k}`, { acked: null, pending: undefined, history: new Set(), written: false });
    }
  }

  private problem(text: string): void {
    if (this.counters.problems.length < 50) this.counters.problems.push(text);
  }

  private version(mode: Mode, customerKey: SseKey | undefined, digest: string, size: number): Version {
    return { id: this.nextVersion++, sha: digest, size, mode, customerKey, etag: undefined };
  }

  private newCustomerKey(): SseKey {
    return makeKey(`crash-${this.seed}-${this.nextKey++}`);
  }

  start(crashAt?: string): Promise<TestServer> {
    return startServer({
      http: true,
      dataDir: this.dataDir,
      root: this.root,
      // Freed blobs and crashed writes' leftovers are due at once, so the drain can judge orphans.
      extraArgs: ['--allow-insecure-sse-c', '--reclaim-grace', '0.001', ...this.store.serveArgs, ...(crashAt === undefined ? [] : ['--crash-at', crashAt])],
    });
  }

  // ---- workload ----

  private async put(s3: S3Client, key: string, st: KeyState, mode: Mode, size: number): Promise<void> {
    const body = bodyFor(this.nextSeed++, size);
    const customerKey = mode === 'sse-c' ? this.newCustomerKey() : undefined;
    const v = this.version(mode, customerKey, sha(body), size);
    st.pending = { v };
    const res = await s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ...modeHeaders(mode, customerKey) }));
    v.etag = res.ETag;
    this.acknowledge(st, v);
  }

  private acknowledge(st: KeyState, v: Version | null): void {
    if (st.acked !== null) st.history.add(st.acked.sha);
    st.acked = v;
    st.pending = undefined;
    st.written = true;
    this.counters.acknowledgedWrites++;
  }

  /** CopyObject onto itself with a new SSE-C key: the data key is re-sealed, the data kept. */
  private async reseal(s3: S3Client, key: string, st: KeyState): Promise<void> {
    const old = st.acked;
    if (old === null || old.mode !== 'sse-c' || old.customerKey === undefined) return this.put(s3, key, st, 'sse-c', this.bodySize(false));
    const customerKey = this.newCustomerKey();
    const v = this.version('sse-c', customerKey, old.sha, old.size);
    st.pending = { v };
    const res = await s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: key,
        CopySource: `${this.bucket}/${key}`,
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: old.customerKey.b64,
        ...sseHeaders(customerKey),
      }),
    );
    v.etag = res.CopyObjectResult?.ETag;
    this.acknowledge(st, v);
  }

  private async multipart(s3: S3Client, key: string, st: KeyState, mode: Mode): Promise<void> {
    const customerKey = mode === 'sse-c' ? this.newCustomerKey() : undefined;
    this.pendingCreates.add(key);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...modeHeaders(mode, customerKey) }));
    this.pendingCreates.delete(key);
    const uploadId = created.UploadId ?? '';
    const up: UploadState = { key, mode, customerKey, parts: new Map(), pendingPart: undefined, completing: undefined };
    this.uploads.set(uploadId, up);
    const bodies = [bodyFor(this.nextSeed++, 5 * MiB), bodyFor(this.nextSeed++, this.rng.int(1, 512) * KiB)];
    for (const [i, body] of bodies.entries()) {
      up.pendingPart = i + 1;
      const res = await s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body, ...sseHeaders(customerKey) }));
      up.parts.set(i + 1, res.ETag ?? '');
      up.pendingPart = undefined;
    }
    const v = this.version(mode, customerKey, sha(...bodies), bodies.reduce((n, b) => n + b.length, 0));
    up.completing = v;
    st.pending = { v };
    const res = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: [...up.parts].map(([PartNumber, ETag]) => ({ PartNumber, ETag })) },
        ...sseHeaders(customerKey),
      }),
    );
    v.etag = res.ETag;
    this.acknowledge(st, v);
    this.uploads.delete(uploadId);
  }

  private bodySize(large: boolean): number {
    if (!large && this.rng.next() < 0.4) return this.rng.int(1, 60) * KiB; // stored inline
    return this.rng.int(100 * KiB, (large ? 4 : 1.5) * MiB);
  }

  /** One worker: writes to its own keys (one request at a time per key) until the server is gone. */
  private async worker(s3: S3Client, w: number, kind: KillKind, down: { value: boolean }): Promise<void> {
    const weights = weightsFor(kind);
    const modes: readonly Mode[] = kind.startsWith('reseal') ? ['sse-c', 'sse-c', 'sse-s3', 'sse-kms'] : ['sse-s3', 'sse-c', 'sse-kms'];
    while (!down.value) {
      const key = `w${w}/k${this.rng.int(0, KEYS_PER_WORKER - 1)}`;
      const st = this.keys.get(key)!;
      const op = this.rng.weighted(weights);
      try {
        if (op === 'delete') {
          st.pending = { v: null };
          await this.sendDelete(s3, key);
          this.acknowledge(st, null);
        } else if (op === 'reseal') await this.reseal(s3, key, st);
        else if (op === 'multipart') await this.multipart(s3, key, st, this.rng.pick(modes));
        else await this.put(s3, key, st, this.rng.pick(modes), this.bodySize(kind === 'body-timing'));
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        down.value = true;
      }
    }
  }

  private async sendDelete(s3: S3Client, key: string): Promise<void> {
    await s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * Runs the workload on `server` until it dies: by itself at its crash point, or killed by
   * the harness after `killAfterMs` (a timing kill) or POINT_TIMEOUT_MS (the point was missed).
   */
  async untilDeath(server: TestServer, kind: KillKind): Promise<void> {
    const s3 = s3Client(server);
    const down = { value: false };
    let killedByHarness = false;
    // The re-seal runs right after start: if it is over, its point will not come.
    const deadline = kind === 'body-timing' ? this.rng.int(100, 1500) : kind === 'root-reseal-record' ? 5000 : POINT_TIMEOUT_MS;
    const watch = (async () => {
      const start = Date.now();
      while (!down.value && alive(server.pid)) {
        if (Date.now() - start > deadline) {
          killedByHarness = true;
          await server.kill();
          break;
        }
        await sleep(10);
      }
      down.value = true;
    })();
    try {
      await Promise.all([...Array.from({ length: WORKERS }, (_, w) => this.worker(s3, w, kind, down)), watch]);
    } finally {
      down.value = true;
      await watch;
      s3.destroy();
      // A connection error with the server still alive is a failure of its own.
      for (let i = 0; i < 300 && alive(server.pid) && !killedByHarness; i++) await sleep(10);
      const selfDied = !killedByHarness && !alive(server.pid);
      await server.kill();
      this.noteDeath(server, kind, killedByHarness, selfDied);
    }
  }

  noteDeath(server: Pick<TestServer, 'output'> | string, kind: KillKind, killedByHarness: boolean, selfDied: boolean): void {
    const output = typeof server === 'string' ? server : server.output();
    if (kind === 'body-timing' && killedByHarness) this.kills[kind] = (this.kills[kind] ?? 0) + 1;
    else if (kind !== 'body-timing' && output.includes(`crash point ${kind} reached`)) this.kills[kind] = (this.kills[kind] ?? 0) + 1;
    else if (killedByHarness) this.missed[kind] = (this.missed[kind] ?? 0) + 1;
    else if (selfDied) this.problem(`the server died by itself in a ${kind} round:\n${output.slice(-3000)}`);
    else this.problem(`a request failed with a connection error while the server was alive (${kind} round)`);
  }

  // ---- checks after a restart ----

  /** Orphans, then every key, then the uploads; the model then holds what was found. */
  async verify(server: TestServer): Promise<void> {
    await this.store.drain(this.dataDir);
    const inv = await this.store.inventory(this.dataDir);
    const orphans = inv.unreferencedBlobs.length + inv.temporary.length + inv.strayParts;
    if (orphans > 0) {
      this.counters.orphans += orphans;
      this.problem(`after restart: ${inv.unreferencedBlobs.length} unreferenced blobs, ${inv.temporary.length} temporary files, ${inv.strayParts} stray parts`);
    }
    const s3 = s3Client(server);
    try {
      const listed = await this.listAll(s3);
      for (const name of listed.keys()) if (!this.keys.has(name)) this.problem(`an object nobody wrote: ${name}`);
      for (const [key, st] of this.keys) await this.verifyKey(s3, key, st, listed.get(key));
      await this.verifyUploads(s3);
    } finally {
      s3.destroy();
    }
  }

  private async listAll(s3: S3Client): Promise<Map<string, { size: number; etag: string }>> {
    const out = new Map<string, { size: number; etag: string }>();
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      for (const o of page.Contents ?? []) out.set(o.Key ?? '', { size: o.Size ?? -1, etag: o.ETag ?? '' });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  /** GET with each candidate's key until one opens it. */
  private async open(s3: S3Client, key: string, candidates: readonly Version[]): Promise<{ v: Version; body: Buffer; etag: string } | { error: string; sha?: string }> {
    let last = 'no candidate version';
    const tried = new Set<string>();
    for (const v of candidates) {
      const id = v.customerKey?.b64 ?? 'server-side';
      if (tried.has(id)) continue;
      tried.add(id);
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...sseHeaders(v.customerKey) }));
        const body = await bodyBytes(res.Body);
        const found = candidates.find((c) => (c.customerKey?.b64 ?? 'server-side') === id && c.sha === sha(body) && c.size === body.length);
        if (found === undefined) return { error: `${body.length} bytes that match no version in flight or acknowledged (sha ${sha(body).slice(0, 12)})`, sha: sha(body) };
        return { v: found, body, etag: res.ETag ?? '' };
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        last = `${String((err as Error).name)} ${status ?? ''}: ${String((err as Error).message)}`;
        // 400 (an SSE-C object read without its key, or the reverse) or 403 (another key): try the next.
        if (status !== 400 && status !== 403) return { error: last };
      }
    }
    return { error: last };
  }

  private async verifyKey(s3: S3Client, key: string, st: KeyState, listed: { size: number; etag: string } | undefined): Promise<void> {
    this.counters.objectsChecked++;
    if (st.written) this.counters.acknowledgedChecked++;
    const allowed: (Version | null)[] = [st.acked, ...(st.pending === undefined ? [] : [st.pending.v])];
    const versions = allowed.filter((v): v is Version => v !== null);
    let found: Version | null;
    if (listed === undefined) {
      found = null;
      if (!allowed.includes(null)) {
        this.counters.lostAcknowledged++;
        this.problem(`${key}: acknowledged version ${st.acked?.id} is gone`);
      }
    } else {
      const got = await this.open(s3, key, versions);
      if ('error' in got) {
        // Present where an acknowledged delete left nothing, or an older body back: a lost write.
        const lost = versions.length === 0 || (got.sha !== undefined && st.history.has(got.sha));
        if (lost) this.counters.lostAcknowledged++;
        else this.counters.torn++;
        this.problem(`${key}: ${lost ? 'an acknowledged write was lost' : 'torn or unreadable'}: ${got.error}`);
        // Removed, so that later checks report only new damage.
        await this.sendDelete(s3, key);
        return this.adopt(st, null);
      }
      found = got.v;
      const etagOk = (found.etag === undefined || found.etag === got.etag) && listed.etag === got.etag && listed.size === got.body.length;
      if (!etagOk) {
        this.counters.torn++;
        this.problem(`${key}: ETag or size differ (acknowledged ${found.etag}, GET ${got.etag}, listed ${listed.etag} ${listed.size})`);
      }
    }
    if (st.pending !== undefined) {
      const applied = found === st.pending.v || (found !== null && found.id === st.pending.v?.id);
      if (applied) this.counters.inFlightApplied++;
      else this.counters.inFlightNotApplied++;
    }
    this.adopt(st, found, listed === undefined ? undefined : listed.etag);
  }

  private adopt(st: KeyState, v: Version | null, etag?: string): void {
    if (v !== null && etag !== undefined) v.etag = etag;
    if (st.acked !== null && st.acked !== v) st.history.add(st.acked.sha);
    st.acked = v;
    st.pending = undefined;
  }

  /** Uploads: each listed one known (or created in flight), acknowledged parts intact, a Complete all or nothing. */
  private async verifyUploads(s3: S3Client): Promise<void> {
    const listed = new Map<string, string>();
    let marker: { KeyMarker: string; UploadIdMarker: string } | undefined;
    for (;;) {
      const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, ...marker }));
      for (const u of page.Uploads ?? []) listed.set(u.UploadId ?? '', u.Key ?? '');
      if (!page.IsTruncated) break;
      marker = { KeyMarker: page.NextKeyMarker ?? '', UploadIdMarker: page.NextUploadIdMarker ?? '' };
    }
    for (const [uploadId, key] of listed) {
      const up = this.uploads.get(uploadId);
      if (up === undefined) {
        if (!this.pendingCreates.has(key)) {
          this.counters.orphans++;
          this.problem(`an upload nobody created: ${key} ${uploadId}`);
        }
      } else {
        const parts = await s3.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
        const got = new Map((parts.Parts ?? []).map((p) => [p.PartNumber ?? 0, p.ETag ?? '']));
        for (const [n, etag] of up.parts) {
          if (got.get(n) !== etag) {
            this.counters.lostAcknowledged++;
            this.problem(`${key} upload ${uploadId}: acknowledged part ${n} ${etag} is ${got.get(n) ?? 'gone'}`);
          }
        }
        for (const n of got.keys()) if (!up.parts.has(n) && up.pendingPart !== n) this.problem(`${key} upload ${uploadId}: a part nobody sent: ${n}`);
        if (up.completing !== undefined && this.keys.get(key)?.acked?.id === up.completing.id) {
          this.counters.torn++;
          this.problem(`${key}: the upload ${uploadId} completed and is still listed`);
        }
      }
      await s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    }
    for (const [uploadId, up] of this.uploads) {
      if (listed.has(uploadId)) continue;
      const completed = up.completing !== undefined && this.keys.get(up.key)?.acked?.id === up.completing.id;
      if (!completed) {
        this.counters.lostAcknowledged++;
        this.problem(`${up.key}: upload ${uploadId} vanished without completing`);
      }
    }
    this.uploads.clear();
    this.pendingCreates.clear();
  }

  /**
   * Which hit of its point kills the server: one of the first few writes, or one of the
   * records the root key re-seal will move (SSE-S3 objects; uploads are aborted at each check).
   */
  nthFor(kind: CrashPointName): number {
    if (kind !== 'root-reseal-record') return this.rng.int(1, 4);
    return this.rng.int(1, Math.max(1, [...this.keys.values()].filter((s) => s.acked?.mode === 'sse-s3').length));
  }
}

/** Which kind each kill is: timing kills alternate with the named points, every point in turn. */
function schedule(kills: number): KillKind[] {
  const cycle: KillKind[] = [];
  for (const [i, p] of CRASH_POINTS.entries()) {
    if (i % 2 === 0) cycle.push('body-timing');
    cycle.push(p);
  }
  return Array.from({ length: kills }, (_, i) => cycle[i % cycle.length]!);
}

/** The environment of the CLI run between restarts: none of the test's STRONGBOX_ settings. */
function cliEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRONGBOX_')));
}

/**
 * Registers the crash test for `store`: `opts.kills` SIGKILLs, each followed by a restart on
 * the same data and the checks described at the top of this file.
 */
export function crashSuite(store: CrashStore, opts: CrashSuiteOptions): void {
  it(`${store.name}: ${opts.kills} kills (seed ${opts.seed}); every acknowledged write survives, nothing torn or orphaned`, async () => {
    const started = Date.now();
    const dataDir = mkdtempSync(join(tmpdir(), 'strongbox-crash-'));
    await store.prepare?.(dataDir);
    const root: Credentials = { accessKeyId: 'CRASHROOT', secretAccessKey: `crash-secret-${opts.seed}` };
    const runState = new CrashRun(store, dataDir, root, 'crash', opts.seed);
    let server: TestServer | undefined;
    try {
      server = await runState.start();
      const s3 = s3Client(server);
      await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
      s3.destroy();
      await server.stop();
      server = undefined;
      let unchecked = false;
      for (const kind of schedule(opts.kills)) {
        if (kind === 'root-reseal-record') {
          // Check on a plain server first: this round's server may die while starting.
          if (unchecked) {
            server = await runState.start();
            await runState.verify(server);
            await server.stop();
            unchecked = false;
          }
          const rotated = await run(process.execPath, [MAIN_JS, 'root-key', 'rotate', '--data', dataDir], { env: cliEnv(), timeoutMs: 60_000 });
          assert.equal(rotated.code, 0, rotated.stderr);
        }
        const t0 = Date.now();
        try {
          server = await runState.start(kind === 'body-timing' ? undefined : `${kind}:${runState.nthFor(kind)}`);
        } catch (err) {
          // Only the background re-seal runs before the server answers: it may die first.
          assert.ok(kind === 'root-reseal-record' && String(err).includes('crash point root-reseal-record reached'), String(err));
          runState.noteDeath(String(err), kind, false, true);
          unchecked = true;
          continue;
        }
        const t1 = Date.now();
        if (unchecked) await runState.verify(server);
        const t2 = Date.now();
        await runState.untilDeath(server, kind);
        opts.trace?.(`${kind}: start ${t1 - t0} ms, check ${t2 - t1} ms, writes until the kill ${Date.now() - t2} ms`);
        server = undefined;
        unchecked = true;
      }
      server = await runState.start();
      await runState.verify(server);
    } finally {
      await server?.stop();
      await store.dispose?.(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
    const c = runState.counters;
    const report: CrashReport = {
      store: store.name,
      seed: opts.seed,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      kills: runState.kills,
      missed: runState.missed,
      acknowledgedWrites: c.acknowledgedWrites,
      acknowledgedChecked: c.acknowledgedChecked,
      objectsChecked: c.objectsChecked,
      inFlightApplied: c.inFlightApplied,
      inFlightNotApplied: c.inFlightNotApplied,
      torn: c.torn,
      lostAcknowledged: c.lostAcknowledged,
      orphans: c.orphans,
      problems: c.problems,
    };
    opts.report?.(report);
    assert.deepEqual(c.problems, [], 'problems found after restarts');
    const total = Object.values(runState.kills).reduce((n, k) => n + k, 0);
    assert.ok(total + Object.values(runState.missed).reduce((n, k) => n + k, 0) === opts.kills, 'every round ended in a kill');
    const scheduled = new Set(schedule(opts.kills));
    for (const kind of KILL_KINDS) if (scheduled.has(kind)) assert.ok((runState.kills[kind] ?? 0) > 0, `no kill at ${kind}: ${JSON.stringify(runState.missed)}`);
    assert.ok(c.acknowledgedWrites > 0 && c.acknowledgedChecked > 0);
  });
}
