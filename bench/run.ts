/**
 * `npm run bench`: Strongbox against two references measured in the same run with the same
 * client (see bench/reference-servers.ts):
 *
 *   ceiling   bare node:http(s): discards PUT bodies, streams GET bodies from memory
 *   floor     plain node:http(s) doing the least an S3 server must: MD5 + fdatasync + rename
 *
 * For each protocol (http, https) all three run as child processes (their CPU is read from
 * /proc/<pid>/stat before and after each case) and each case runs on ceiling, floor, then
 * Strongbox. Stdout gets one JSON line per case and server, then one ratio line per case with
 * the issue's target; a markdown table goes to bench/results.md (overwritten) and to stderr.
 *
 * Encrypted cases (bench/sse.ts; modes in bench/sse-modes.ts: SSE-C, SSE-S3, SSE-KMS,
 * DSSE-KMS) run on Strongbox only, round by round together with the cases they are compared
 * with (bench/cases.ts), and are judged against Strongbox's own cases of the same run: 64 MiB
 * PUT/GET throughput of every mode against the plain 64 MiB cases, SSE-KMS 4 KiB PUT ops/s
 * against the plain 4 KiB PUT, and median latencies (concurrency 1) of SSE-C key rotation and
 * 1-byte range GETs against each other and against a plain 4 KiB PUT at concurrency 1. They get
 * a second table (bench/report.ts).
 *
 * Strongbox is started with --default-encryption none, so that its plain cases (the yardstick
 * of the encrypted ones) store plaintext; every plain warm-up checks that no answer says
 * otherwise. Over http it also gets --allow-insecure-sse-c when SSE-C or KMS cases are selected
 * (Amazon refuses both without TLS; the bench runs on loopback). Either flag is passed only if
 * the build knows it.
 *
 *   node dist/bench/run.js [--quick] [--only put-64MiB,ssekms] [--proto http|https]
 *                          [--servers strongbox,floor,ceiling] [--rounds N] [--tmp DIR]
 *
 *   --quick     smaller counts (smoke run)
 *   --only      cases whose name is or starts with one of these (`sse` selects every SSE-C,
 *               SSE-S3 and SSE-KMS case, `ssekms` the SSE-KMS ones): put-64MiB get-64MiB
 *               put-4KiB get-4KiB head-4KiB list
 *               {ssec,sses3,ssekms,dssekms}-put-64MiB {ssec,sses3,ssekms,dssekms}-get-64MiB
 *               ssekms-put-4KiB ssec-rotate-1MiB ssec-rotate-1GiB ssec-range-1B-4KiB ssec-range-1B-1GiB
 *               (whatever a GET/HEAD/LIST/rotate/range case reads is written first, unmeasured;
 *               a comparison whose other case is not selected shows no ratio)
 *   --rounds N  measure each case N times per server, interleaved; report the median round
 *               (the default 1 round took about 4–5 minutes for both protocols before the SSE
 *               cases; SSE-C added one 1 GiB upload per protocol and about as much 64 MiB traffic
 *               on Strongbox as the plain cases, and each of SSE-S3, SSE-KMS and DSSE-KMS adds as
 *               much again; with --only on the 64 MiB, 4 KiB PUT and SSE-C cases, 3 rounds took ~7 min)
 *
 * A benchmark, not a test: it never fails on a missed target (exit status 0 unless it crashed).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchClient } from './client.js';
import { retryCount, runPool } from './pool.js';
import { sseBigGroup, sseOperation, sseSeed, sseWarmUp, type Payload } from './sse.js';
import { expectPlain } from './sse-modes.js';
import { comparisonGroups, cases, isSse, metricOf } from './cases.js';
import { markdown, ratioLine, sseRatioLine } from './report.js';
import { round, type CaseDef, type Proto, type Result, type Row, type ServerName } from './types.js';

// ---------------------------------------------------------------------------------------------
// Configuration

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STRONGBOX_MAIN = join(ROOT, 'dist/src/cli/main.js');
const REFERENCE_MAIN = join(ROOT, 'dist/bench/reference-servers.js');
const RESULTS_MD = join(ROOT, 'bench/results.md');
const BUCKET = 'bench-bucket';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BIG = 64 * MiB;
const SMALL = 4 * 1024;
const ACCESS_KEY = 'benchadmin';
const SECRET_KEY = `bench-${randomBytes(12).toString('hex')}`;

interface Args {
  quick: boolean;
  /** Names or name prefixes of the cases to run. */
  only: Set<string> | undefined;
  protos: Proto[];
  servers: ServerName[];
  rounds: number;
  tmp: string;
}

function parseArgs(argv: string[]): Args {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (s: string | undefined): string[] | undefined =>
    s
      ?.split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  for (const a of argv) {
    if (a.startsWith('--') && !['--quick', '--only', '--proto', '--servers', '--rounds', '--tmp'].includes(a)) {
      throw new Error(`unknown option ${a}`);
    }
  }
  const protos = (list(opt('--proto')) ?? ['http', 'https']) as Proto[];
  const servers = (list(opt('--servers')) ?? ['ceiling', 'floor', 'strongbox']) as ServerName[];
  const only = list(opt('--only'));
  return {
    quick: argv.includes('--quick'),
    only: only === undefined ? undefined : new Set(only),
    protos: protos.filter((p) => p === 'http' || p === 'https'),
    servers: (['ceiling', 'floor', 'strongbox'] as const).filter((s) => servers.includes(s)),
    rounds: Math.max(1, Math.floor(Number(opt('--rounds') ?? '1')) || 1),
    tmp: opt('--tmp') ?? tmpdir(),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes and cleanup

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cleanedUp = false;

function cleanupSync(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return void children.delete(c);
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  children.delete(c);
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
    cleanupSync();
    process.exit(130);
  });
}

function makeTemp(prefix: string, base: string): string {
  const d = mkdtempSync(join(base, prefix));
  tempDirs.add(d);
  return d;
}

interface Running {
  name: ServerName;
  proto: Proto;
  child: ChildProcess;
  pid: number;
  url: string;
  dir: string;
  stderrTail: () => string;
  /** Set when the process died or a case failed in a way that leaves it unusable. */
  dead: string | undefined;
  clients: Map<number, BenchClient>;
  /** Key groups already written: `big-c1`, `big-c8`, `small`, `ssec-big-c1`, `ssekms-big-c8`, … */
  seeded: Map<string, number>;
  /** Which customer key each SSE-C rotate/range object is under. */
  ssecKey: Map<string, 0 | 1>;
}

/** Spawn `node <args>` and wait for the line announcing `… serving … on <url>`. */
function startChild(name: ServerName, proto: Proto, dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
  return new Promise<Running>((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    let done = false;
    const tail = (): string => err.slice(-2000);
    const fail = (why: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} (${proto}) ${why}${err ? `: ${err.trim().slice(-800)}` : ''}`));
    };
    const timer = setTimeout(() => fail('did not announce its URL within 60 s'), 60_000);
    child.stdout?.on('data', (c: Buffer) => {
      if (done) return;
      out += c.toString('utf8');
      const m = /serving[^\n]*? on (https?:\/\/[^\s]+)/.exec(out);
      if (m?.[1] === undefined) return;
      done = true;
      clearTimeout(timer);
      const running: Running = {
        name,
        proto,
        child,
        pid: child.pid ?? 0,
        url: m[1],
        dir,
        stderrTail: tail,
        dead: undefined,
        clients: new Map(),
        seeded: new Map(),
        ssecKey: new Map(),
      };
      child.once('exit', (code, signal) => {
        running.dead = `exited (code ${code}, signal ${signal}) ${tail().trim().slice(-500)}`;
      });
      resolvePromise(running);
    });
    child.stderr?.on('data', (c: Buffer) => {
      err = (err + c.toString('utf8')).slice(-8000);
    });
    child.once('error', (e) => fail(`failed to start: ${e.message}`));
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal}) before serving`));
  });
}

// ---------------------------------------------------------------------------------------------
// Measurement

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* keep 100 */
}

/** utime + stime of the whole process (all threads), in seconds. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
  return (Number(fields[11]) + Number(fields[12])) / clkTck;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** The median of sorted values (mean of the middle two for an even count). */
function median(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const bigBuf = randomBytes(MiB);
const smallBuf = randomBytes(SMALL);
const payload: Payload = { big: bigBuf, small: smallBuf };

const bigKey = (c: number, i: number): string => `big/c${c}/${String(i).padStart(5, '0')}`;
const smallKey = (i: number): string => `small/${String(i).padStart(6, '0')}`;

function client(s: Running, concurrency: number, ca: Buffer | undefined): BenchClient {
  let c = s.clients.get(concurrency);
  if (c === undefined) {
    c = new BenchClient({
      endpoint: s.url,
      concurrency,
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      ...(ca === undefined ? {} : { ca }),
    });
    s.clients.set(concurrency, c);
  }
  return c;
}

/** The operation a case measures, as fn(i) → bytes moved. */
function operation(
  def: CaseDef,
  c: BenchClient,
  s: Running,
  smallCount: number,
  prefixKey: (i: number) => string = (i) => i.toString(),
): (i: number) => Promise<number> {
  switch (def.kind) {
    case 'put-big':
      return async (i) => (await c.put(BUCKET, prefixKey(i), bigBuf, BIG), BIG);
    case 'get-big':
      return (i) => c.get(BUCKET, prefixKey(i), BIG);
    case 'put-small':
      return async (i) => (await c.put(BUCKET, prefixKey(i), smallBuf, SMALL), SMALL);
    case 'get-small':
      return (i) => c.get(BUCKET, prefixKey(i % smallCount), SMALL);
    case 'head-small':
      return async (i) => (await c.head(BUCKET, prefixKey(i % smallCount), SMALL), 0);
    case 'list':
      return (_i) => c.list(BUCKET, 'small/', 1000);
    case 'sse-put-big':
    case 'sse-get-big':
    case 'sse-put-small':
    case 'ssec-rotate':
    case 'ssec-range':
      return sseOperation(def, c, s, BUCKET, payload);
  }
}

/** Write whatever the case reads (unmeasured) unless an earlier case already did. */
async function ensureSeeded(s: Running, def: CaseDef, c: BenchClient, smallTarget: number): Promise<void> {
  if (def.kind === 'get-big') {
    const group = `big-c${def.concurrency}`;
    if ((s.seeded.get(group) ?? 0) >= def.ops) return;
    await runPool(def.concurrency, def.ops, (i) => c.put(BUCKET, bigKey(def.concurrency, i), bigBuf, BIG));
    s.seeded.set(group, def.ops);
  } else if (def.kind === 'get-small' || def.kind === 'head-small' || def.kind === 'list') {
    if ((s.seeded.get('small') ?? 0) >= smallTarget) return;
    await runPool(def.concurrency, smallTarget, (i) => c.put(BUCKET, smallKey(i), smallBuf, SMALL));
    s.seeded.set('small', smallTarget);
  } else if (isSse(def)) {
    await sseSeed(def, c, s, BUCKET, payload);
  }
}

/**
 * A few unmeasured operations of the same kind, on the same sockets, just before measuring.
 * Plain writes and reads must come back unencrypted (see `expectPlain`).
 */
async function warmUp(def: CaseDef, c: BenchClient, s: Running): Promise<void> {
  const conc = def.concurrency;
  // Open every socket of the pool (TLS handshakes included) with small PUTs.
  await runPool(conc, conc * 4, async (i) => {
    const key = `warm/s${String(i).padStart(4, '0')}`;
    expectPlain(await c.put(BUCKET, key, smallBuf, SMALL), `${s.name}: PUT ${key}`);
  });
  switch (def.kind) {
    case 'put-big':
    case 'get-big':
      expectPlain(await c.put(BUCKET, 'warm/big', bigBuf, BIG), `${s.name}: PUT warm/big`);
      expectPlain(await c.getResponse(BUCKET, 'warm/big', BIG), `${s.name}: GET warm/big`);
      break;
    case 'put-small':
    case 'get-small':
    case 'head-small': {
      const n = Math.max(50, conc * 8);
      await runPool(conc, n, operation(def, c, s, conc * 4, (i) => `warm/s${String(i % (conc * 4)).padStart(4, '0')}`));
      break;
    }
    case 'list':
      await runPool(conc, conc * 2, operation(def, c, s, 0));
      break;
    case 'sse-put-big':
    case 'sse-get-big':
    case 'sse-put-small':
    case 'ssec-rotate':
    case 'ssec-range':
      await sseWarmUp(def, c, s, BUCKET, payload);
      break;
  }
}

async function measure(s: Running, def: CaseDef, ca: Buffer | undefined, smallTarget: number): Promise<Result> {
  const c = client(s, def.concurrency, ca);
  await ensureSeeded(s, def, c, smallTarget);
  await warmUp(def, c, s);
  const keyOf = def.kind === 'put-big' || def.kind === 'get-big' ? (i: number) => bigKey(def.concurrency, i) : smallKey;
  const op = operation(def, c, s, s.seeded.get('small') ?? smallTarget, keyOf);
  let bytes = 0;
  const cpu0 = processCpuSeconds(s.pid);
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const lat = await runPool(
    def.concurrency,
    def.ops,
    async (i) => {
      const n = await op(i);
      bytes += n;
    },
    def.minSeconds ?? 0,
  );
  const ops = lat.length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const clientCpu = process.cpuUsage(client0);
  const serverCpuSec = processCpuSeconds(s.pid) - cpu0;
  if (def.kind === 'put-big') s.seeded.set(`big-c${def.concurrency}`, def.ops);
  if (def.kind === 'put-small') s.seeded.set('small', Math.max(s.seeded.get('small') ?? 0, def.ops));
  if (def.kind === 'sse-put-big') s.seeded.set(sseBigGroup(def), def.ops);
  lat.sort((a, b) => a - b);
  return {
    case: def.name,
    proto: s.proto,
    server: s.name,
    concurrency: def.concurrency,
    MiBps: round(bytes / MiB / seconds, 1),
    opsps: round(ops / seconds, 1),
    // Per GiB means nothing for 1-byte range GETs and rotations (latency cases).
    cpuSecPerGiB: bytes === 0 || def.latency === true ? null : round(serverCpuSec / (bytes / GiB), 3),
    cpuMsPerOp: round((serverCpuSec * 1000) / ops, 3),
    serverCpuSec: round(serverCpuSec, 2),
    clientCpuSec: round((clientCpu.user + clientCpu.system) / 1e6, 2),
    ops,
    bytes,
    seconds: round(seconds, 3),
    p50ms: round(median(lat), 2),
    p99ms: round(percentile(lat, 99), 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Servers per protocol

const INSECURE_SSE_FLAG = '--allow-insecure-sse-c';
const DEFAULT_ENCRYPTION_FLAG = '--default-encryption';

/** How this Strongbox build is started: which of the bench's flags it knows. */
interface StrongboxFlags {
  /** Pass --allow-insecure-sse-c over http (SSE-C or KMS cases selected, and the build knows it). */
  allowInsecureSse: boolean;
  /** Pass --default-encryption none (the build knows it; older ones never encrypted by default). */
  defaultEncryptionNone: boolean;
}

/** The text of `strongbox serve --help` (empty if it cannot be run). */
function serveHelp(): string {
  try {
    return execFileSync(process.execPath, [STRONGBOX_MAIN, 'serve', '--help'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

async function startStrongbox(proto: Proto, base: string, flags: StrongboxFlags): Promise<Running> {
  const dir = makeTemp('strongbox-bench-', base);
  const args = [STRONGBOX_MAIN, 'serve', '--data', dir, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  if (proto === 'http') args.push('--http');
  // Plain cases must stay plaintext: they are what the encrypted ones are compared with.
  if (flags.defaultEncryptionNone) args.push(DEFAULT_ENCRYPTION_FLAG, 'none');
  // SSE-C and KMS over plain HTTP are refused (400) unless allowed; the bench runs on loopback.
  if (proto === 'http' && flags.allowInsecureSse) args.push(INSECURE_SSE_FLAG);
  return startChild('strongbox', proto, dir, args, {
    ...process.env,
    STRONGBOX_ROOT_ACCESS_KEY: ACCESS_KEY,
    STRONGBOX_ROOT_SECRET_KEY: SECRET_KEY,
  });
}

async function startReference(name: 'ceiling' | 'floor', proto: Proto, base: string, tls: { cert: string; key: string } | undefined): Promise<Running> {
  const dir = makeTemp(`${name}-bench-`, base);
  const args = [REFERENCE_MAIN, name, '--port', '0', '--dir', dir];
  if (proto === 'https') {
    if (tls === undefined) throw new Error(`${name} (https): no TLS certificate (Strongbox creates it on first start)`);
    args.push('--tls-cert', tls.cert, '--tls-key', tls.key);
  }
  return startChild(name, proto, dir, args, process.env);
}

const emit = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');
const note = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

/** The servers a case runs on: encrypted cases on Strongbox alone. */
const serversOf = (def: CaseDef, args: Args): ServerName[] => (isSse(def) ? args.servers.filter((x) => x === 'strongbox') : args.servers);

async function runProtocol(proto: Proto, args: Args, defs: CaseDef[], rows: Row[], flags: StrongboxFlags): Promise<void> {
  const servers: Running[] = [];
  let ca: Buffer | undefined;
  let tls: { cert: string; key: string } | undefined;
  const startFailures = new Map<ServerName, string>();
  try {
    // Strongbox first: over https its generated certificate is reused by the references.
    if (args.servers.includes('strongbox') || proto === 'https') {
      try {
        const sb = await startStrongbox(proto, args.tmp, flags);
        if (proto === 'https') {
          const t = { cert: join(sb.dir, 'tls/server.pem'), key: join(sb.dir, 'tls/server-key.pem'), ca: join(sb.dir, 'tls/ca.pem') };
          if (existsSync(t.cert) && existsSync(t.key) && existsSync(t.ca)) {
            tls = { cert: t.cert, key: t.key };
            ca = readFileSync(t.ca);
          }
        }
        if (args.servers.includes('strongbox')) {
          servers.push(sb);
          note(`strongbox (${proto}) pid ${sb.pid} at ${sb.url}`);
          await client(sb, 1, ca).createBucket(BUCKET);
        } else {
          await stopChild(sb.child);
        }
      } catch (err) {
        startFailures.set('strongbox', err instanceof Error ? err.message : String(err));
        note(`strongbox (${proto}) unusable: ${startFailures.get('strongbox')}`);
      }
    }
    for (const name of ['ceiling', 'floor'] as const) {
      if (!args.servers.includes(name)) continue;
      try {
        const r = await startReference(name, proto, args.tmp, tls);
        note(`${name} (${proto}) pid ${r.pid} at ${r.url}`);
        await client(r, 1, ca).createBucket(BUCKET);
        servers.push(r);
      } catch (err) {
        startFailures.set(name, err instanceof Error ? err.message : String(err));
        note(`${name} (${proto}) unusable: ${startFailures.get(name)}`);
      }
    }
    const order: ServerName[] = ['ceiling', 'floor', 'strongbox'];
    servers.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    const smallTarget = Math.max(1000, ...defs.filter((d) => d.kind === 'put-small').map((d) => d.ops));

    for (const group of comparisonGroups(defs)) {
      const groupRows = group.map((def): Row => ({ def, proto, results: {} }));
      rows.push(...groupRows);
      // Rounds interleave the servers (ceiling, floor, strongbox, ceiling, …), and the cases of
      // a group (a case and those compared with it), so that a burst of load from elsewhere hits
      // all of them; each server's median round is reported.
      const rounds = new Map<Row, Map<ServerName, Result[]>>(groupRows.map((r) => [r, new Map()]));
      for (let k = 0; k < args.rounds; k++) {
        for (const row of groupRows) {
          const { def } = row;
          for (const name of serversOf(def, args)) {
            const s = servers.find((x) => x.name === name);
            if (row.results[name] !== undefined) continue; // failed in an earlier round
            if (s === undefined || s.dead !== undefined) {
              row.results[name] = { case: def.name, proto, server: name, concurrency: def.concurrency, error: s?.dead ?? startFailures.get(name) ?? 'not running' };
              continue;
            }
            note(`${def.name} c=${def.concurrency} ${proto} ${name}${args.rounds > 1 ? ` round ${k + 1}/${args.rounds}` : ''} …`);
            try {
              const r = await measure(s, def, ca, smallTarget);
              const mine = rounds.get(row);
              mine?.set(name, [...(mine.get(name) ?? []), r]);
            } catch (err) {
              const msg = err instanceof Error ? err.message : String(err);
              row.results[name] = { case: def.name, proto, server: name, concurrency: def.concurrency, error: s.dead ?? msg };
            }
          }
        }
      }
      for (const row of groupRows) {
        const { def } = row;
        for (const name of serversOf(def, args)) {
          const rs = rounds.get(row)?.get(name);
          if (row.results[name] === undefined && rs !== undefined) {
            const metric = metricOf(def);
            const sorted = [...rs].sort((a, b) => a[metric] - b[metric]);
            const mid = sorted[Math.floor((sorted.length - 1) / 2)];
            if (mid !== undefined) row.results[name] = args.rounds > 1 ? { ...mid, rounds: rs.map((r) => r[metric]) } : mid;
          }
          const out = row.results[name];
          if (out !== undefined) emit(out);
        }
        emit(isSse(def) ? sseRatioLine(row, rows) : ratioLine(row));
      }
    }
  } finally {
    for (const s of servers) for (const c of s.clients.values()) c.close();
    await Promise.all(servers.map((s) => stopChild(s.child)));
    for (const s of servers) {
      rmSync(s.dir, { recursive: true, force: true });
      tempDirs.delete(s.dir);
    }
    for (const d of tempDirs) {
      rmSync(d, { recursive: true, force: true });
      tempDirs.delete(d);
    }
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const f of [REFERENCE_MAIN, ...(args.servers.includes('strongbox') || args.protos.includes('https') ? [STRONGBOX_MAIN] : [])]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const all = cases(args.quick);
  const names = [...new Set(all.map((d) => d.name))];
  const only = [...(args.only ?? [])];
  const selected = (name: string): boolean => args.only === undefined || only.some((o) => name.startsWith(o));
  const defs = all.filter((d) => selected(d.name));
  if (defs.length === 0) throw new Error(`--only matched no case (cases: ${names.join(', ')})`);
  for (const o of only) if (!names.some((n) => n.startsWith(o))) note(`--only: no case name starts with ${o} (cases: ${names.join(', ')})`);
  for (const d of defs) {
    for (const cmp of d.compare ?? []) {
      if (!defs.some((x) => x.name === cmp.vs.name && x.concurrency === cmp.vs.concurrency)) {
        note(`${d.name} c=${d.concurrency} is compared with ${cmp.vs.name} c=${cmp.vs.concurrency}, which is not selected: no ratio (add ${cmp.vs.name} to --only)`);
      }
    }
  }
  const help = args.servers.includes('strongbox') ? serveHelp() : '';
  // SSE-S3 is served over plain HTTP as on Amazon; SSE-C and KMS are not unless allowed.
  const wantsInsecure = args.protos.includes('http') && defs.some((d) => d.sse !== undefined && d.sse !== 'sse-s3');
  const flags: StrongboxFlags = {
    allowInsecureSse: wantsInsecure && help.includes(INSECURE_SSE_FLAG),
    defaultEncryptionNone: help.includes(DEFAULT_ENCRYPTION_FLAG),
  };
  if (wantsInsecure && args.servers.includes('strongbox') && !flags.allowInsecureSse) {
    note(`this Strongbox build has no ${INSECURE_SSE_FLAG}: SSE-C and KMS cases over http will be refused`);
  }
  const started = new Date();
  const t0 = performance.now();
  note(`node ${process.version}, ${cpus().length} CPUs, CLK_TCK ${clkTck}, ${args.quick ? 'quick' : 'full'} run: ${defs.map((d) => `${d.name}/c${d.concurrency}`).join(' ')}`);
  const rows: Row[] = [];
  for (const proto of args.protos) await runProtocol(proto, args, defs, rows, flags);
  const seconds = (performance.now() - t0) / 1000;
  const md = markdown(rows, args, started, seconds);
  writeFileSync(RESULTS_MD, md);
  process.stderr.write(`\n${md}\n`);
  note(`done in ${seconds.toFixed(0)} s${retryCount() > 0 ? ` (${retryCount()} retried requests)` : ''}; table written to ${RESULTS_MD}`);
}

main()
  .then(() => {
    cleanupSync();
    process.exit(0);
  })
  .catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    cleanupSync();
    process.exit(1);
  });
