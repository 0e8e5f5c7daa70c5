/**
 * Soak (issue 14; `npm run soak`, not part of npm test): a fresh server under a steady mixed
 * load for a long time, to find errors and leaks that short tests cannot.
 *
 *   node dist/bench/soak.js [--minutes 10] [--concurrency 64] [--http] [--max-size 4MiB]
 *
 * `--concurrency` workers (default 64) each own 16 keys and loop over PUT, GET, HEAD, LIST and
 * DELETE (30/35/15/10/10 %) with every encryption mode (none, SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)
 * and bodies from 1 KiB to `--max-size` (half of them ≤ 64 KiB, one in ten above 1 MiB), over
 * HTTPS (the server's own CA) unless `--http` (then with --allow-insecure-sse-c). Every answer
 * is checked: status, body length, the SSE headers of the mode written, and the ETag of the
 * PUT that wrote it. The server's RSS (VmRSS) is sampled every 10 s.
 *
 * Prints p50/p99 latency per operation per minute, the RSS series and the load average, then
 * one JSON summary line; exits non-zero if any request failed, or if the RSS at the end is more
 * than 10 % above the RSS at a fifth of the run (2 minutes of 10).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchClient, type Response } from './client.js';
import { SSE_MODES, expectPlain, type SseMode } from './sse-modes.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
    http: { type: 'boolean', default: false },
    'max-size': { type: 'string', default: '4' },
    'sample-seconds': { type: 'string', default: '10' },
    /** Keep the server's log (at this level) in this file, to look into failures. */
    'server-log': { type: 'string' },
    'server-log-level': { type: 'string', default: 'info' },
  },
});
const MINUTES = Number(args.minutes);
const CONCURRENCY = Number(args.concurrency);
const MAX_MIB = Number(String(args['max-size']).replace(/MiB$/i, ''));
const SAMPLE_MS = Number(args['sample-seconds']) * 1000;
if (!(MINUTES > 0) || !(CONCURRENCY > 0) || !(MAX_MIB > 0) || !(SAMPLE_MS > 0)) {
  console.error('usage: node dist/bench/soak.js [--minutes N] [--concurrency N] [--http] [--max-size MiB] [--sample-seconds N]');
  process.exit(2);
}
const DURATION_MS = MINUTES * 60_000;
const KEYS_PER_WORKER = 16;
const BUCKET = 'soak';
const KiB = 1024;
const MiB = 1024 * KiB;

type Op = 'PUT' | 'GET' | 'HEAD' | 'LIST' | 'DELETE';
const OPS: readonly Op[] = ['PUT', 'GET', 'HEAD', 'LIST', 'DELETE'];
const MIX: readonly [Op, number][] = [
  ['PUT', 30],
  ['GET', 35],
  ['HEAD', 15],
  ['LIST', 10],
  ['DELETE', 10],
];
type Mode = SseMode | 'none';
const MODES: readonly Mode[] = ['none', 'sse-s3', 'sse-kms', 'dsse-kms', 'sse-c'];

// ---- the server ----

const dataDir = mkdtempSync(join(tmpdir(), 'strongbox-soak-'));
const accessKeyId = 'SOAKROOT';
const secretAccessKey = randomBytes(18).toString('base64url');
const serverLogFile = args['server-log'] === undefined ? undefined : createWriteStream(args['server-log']);
const serverArgs = ['dist/src/cli/main.js', 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--log-level', serverLogFile === undefined ? 'warn' : String(args['server-log-level']), '--default-encryption', 'none', '--min-free-space', '256MiB'];
if (args.http) serverArgs.push('--http', '--allow-insecure-sse-c');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRONGBOX_')));
const server = spawn(process.execPath, serverArgs, {
  env: { ...env, STRONGBOX_ROOT_ACCESS_KEY: accessKeyId, STRONGBOX_ROOT_SECRET_KEY: secretAccessKey },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serverLog = '';
server.stderr.on('data', (d: Buffer) => {
  serverLog = (serverLog + d.toString('utf8')).slice(-20_000);
});
if (serverLogFile !== undefined) {
  server.stdout.pipe(serverLogFile);
  server.stderr.pipe(serverLogFile);
}
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    const m = /serving S3 on (\S+)/.exec(out);
    if (m?.[1] !== undefined) resolve(m[1]);
    if (out.length > 20_000) out = out.slice(-10_000);
  });
  server.once('exit', (code, signal) => reject(new Error(`server exited (code ${code}, signal ${signal}):\n${serverLog}`)));
});
const pid = server.pid ?? 0;
const ca = args.http ? undefined : readFileSync(join(dataDir, 'tls', 'ca.pem'));
const client = new BenchClient({ endpoint: url, concurrency: CONCURRENCY, accessKeyId, secretAccessKey, ...(ca === undefined ? {} : { ca }) });

// ---- measurements ----

const started = performance.now();
const minuteOf = (t: number): number => Math.floor((t - started) / 60_000);
/** Latencies in ms, per minute, per op. */
const latencies: Map<Op, number[]>[] = [];
const counts = Object.fromEntries(OPS.map((o) => [o, 0])) as Record<Op, number>;
let errors = 0;
const errorsByOp = Object.fromEntries(OPS.map((o) => [o, 0])) as Record<Op, number>;
const errorSamples: string[] = [];
function record(op: Op, t0: number): void {
  const minute = minuteOf(t0);
  const row = (latencies[minute] ??= new Map());
  let list = row.get(op);
  if (list === undefined) row.set(op, (list = []));
  list.push(performance.now() - t0);
  counts[op]++;
}
function fail(op: Op, what: string, err: unknown): void {
  errors++;
  errorsByOp[op]++;
  if (errorSamples.length < 20) errorSamples.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}

async function rssKiB(): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}
const rss: { second: number; kib: number; load1: number }[] = [];
const sampler = (async () => {
  for (let next = SAMPLE_MS; next <= DURATION_MS; next += SAMPLE_MS) {
    await new Promise((r) => setTimeout(r, Math.max(0, started + next - performance.now())));
    rss.push({ second: next / 1000, kib: await rssKiB(), load1: loadavg()[0] ?? 0 });
  }
})();

// ---- the load ----

/** A seeded generator per worker: the mix is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BODY = randomBytes(Math.min(MAX_MIB * MiB, MiB));

function sizeFrom(r: number, u: number): number {
  if (r < 0.5) return Math.round(KiB + u * 63 * KiB);
  if (r < 0.9) return Math.round(64 * KiB + u * (Math.min(MAX_MIB, 1) * MiB - 64 * KiB));
  return Math.round(MiB + u * Math.max(0, MAX_MIB * MiB - MiB));
}

function writeHeaders(mode: Mode): Readonly<Record<string, string>> | undefined {
  return mode === 'none' ? undefined : SSE_MODES[mode].write;
}
function readHeaders(mode: Mode): Readonly<Record<string, string>> | undefined {
  return mode === 'none' ? undefined : SSE_MODES[mode].read;
}
function expectMode(res: Response, mode: Mode, what: string): void {
  if (mode === 'none') expectPlain(res, what);
  else SSE_MODES[mode].expect(res, what);
}

interface Stored {
  readonly size: number;
  readonly mode: Mode;
  readonly etag: string;
}

async function worker(w: number, deadline: number): Promise<void> {
  const random = rng(1000 + w);
  const objects = new Map<string, Stored>();
  while (performance.now() < deadline) {
    const key = `w${w}/${Math.floor(random() * KEYS_PER_WORKER)}`;
    const stored = objects.get(key);
    let r = random() * 100;
    let op: Op = 'PUT';
    for (const [o, weight] of MIX) if ((r -= weight) < 0) {
      op = o;
      break;
    }
    // Reads and deletes of a key not written yet become writes.
    if (stored === undefined && op !== 'LIST') op = 'PUT';
    const t0 = performance.now();
    const what = `${op} ${key}${stored === undefined ? '' : ` (${stored.mode}, ${stored.size} B)`}`;
    try {
      switch (op) {
        case 'PUT': {
          const mode = MODES[Math.floor(random() * MODES.length)]!;
          const size = sizeFrom(random(), random());
          const res = await client.put(BUCKET, key, BODY, size, writeHeaders(mode));
          expectMode(res, mode, what);
          objects.set(key, { size, mode, etag: String(res.headers.etag) });
          break;
        }
        case 'GET':
        case 'HEAD': {
          const s = stored!;
          const res = op === 'GET' ? await client.getResponse(BUCKET, key, s.size, readHeaders(s.mode)) : await client.head(BUCKET, key, s.size, readHeaders(s.mode));
          expectMode(res, s.mode, what);
          if (res.headers.etag !== s.etag) throw new Error(`ETag ${String(res.headers.etag)}, the PUT answered ${s.etag}`);
          break;
        }
        case 'LIST':
          await client.list(BUCKET, `w${w}/`, 100);
          break;
        case 'DELETE': {
          const res = await client.request('DELETE', `/${BUCKET}/${key}`);
          if (res.status !== 204) throw new Error(`HTTP ${res.status} ${res.errorText.slice(0, 200)}`);
          objects.delete(key);
          break;
        }
      }
      record(op, t0);
    } catch (err) {
      fail(op, what, err);
    }
  }
}

await client.createBucket(BUCKET);
const deadline = started + DURATION_MS;
const progress = setInterval(() => {
  const m = minuteOf(performance.now()) - 1;
  const row = latencies[m];
  if (row === undefined) return;
  const parts = OPS.map((op) => `${op} ${row.get(op)?.length ?? 0}`).join(', ');
  console.log(`minute ${m + 1}: ${parts}; errors so far ${errors}; RSS ${Math.round((rss.at(-1)?.kib ?? 0) / 1024)} MiB; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}, 60_000);
const loadBefore = loadavg();
await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w, deadline)));
clearInterval(progress);
await sampler;
const loadAfter = loadavg();
client.close();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });

// ---- report ----

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
console.log(`\nlatency (ms) per minute, p50 / p99 (count):`);
console.log(['minute', ...OPS].map((h) => h.padStart(22)).join(''));
const perMinute = latencies.map((row, m) => {
  const cells: Record<string, { n: number; p50: number; p99: number }> = {};
  for (const op of OPS) {
    const sorted = [...(row.get(op) ?? [])].sort((a, b) => a - b);
    cells[op] = { n: sorted.length, p50: Math.round(pct(sorted, 50) * 10) / 10, p99: Math.round(pct(sorted, 99) * 10) / 10 };
  }
  console.log([String(m + 1), ...OPS.map((op) => `${cells[op]!.p50} / ${cells[op]!.p99} (${cells[op]!.n})`)].map((c) => c.padStart(22)).join(''));
  return { minute: m + 1, ...cells };
});
console.log(`\nserver RSS (MiB) every ${SAMPLE_MS / 1000} s: ${rss.map((s) => Math.round(s.kib / 1024)).join(' ')}`);
console.log(`load average (1 min) at the samples: ${rss.map((s) => s.load1.toFixed(1)).join(' ')}`);
const refSecond = DURATION_MS / 5 / 1000;
const ref = rss.find((s) => s.second >= refSecond) ?? rss[0];
const last = rss.at(-1);
const growth = ref === undefined || last === undefined ? NaN : (last.kib - ref.kib) / ref.kib;
const rssOk = Number.isFinite(growth) && growth <= 0.1;
const summary = {
  case: 'soak',
  minutes: MINUTES,
  concurrency: CONCURRENCY,
  transport: args.http ? 'http' : 'https',
  requests: counts,
  errors,
  errorsByOp,
  errorSamples,
  rssMiBAtReference: ref === undefined ? null : Math.round(ref.kib / 1024),
  referenceSecond: ref?.second ?? null,
  rssMiBAtEnd: last === undefined ? null : Math.round(last.kib / 1024),
  rssGrowthPercent: Math.round(growth * 1000) / 10,
  rssOk,
  loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
  loadAverageAfter: loadAfter.map((l) => Math.round(l * 100) / 100),
  perMinute,
  rssSeriesMiB: rss.map((s) => Math.round(s.kib / 1024)),
};
console.log(JSON.stringify(summary));
if (errors > 0) console.error(`FAIL: ${errors} requests failed:\n${errorSamples.join('\n')}`);
if (!rssOk) console.error(`FAIL: server RSS grew ${summary.rssGrowthPercent} % from ${summary.referenceSecond} s to the end (limit 10 %)`);
process.exit(errors === 0 && rssOk ? 0 : 1);
