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
 *   node dist/bench/run.js [--quick] [--only put-64MiB,get-4KiB] [--proto http|https]
 *                          [--servers strongbox,floor,ceiling] [--rounds N] [--tmp DIR]
 *
 *   --quick     smaller counts (smoke run, ~1 min)
 *   --only      cases by name: put-64MiB get-64MiB put-4KiB get-4KiB head-4KiB list
 *               (whatever a GET/HEAD/LIST case reads is written first, unmeasured)
 *   --rounds N  measure each case N times per server, interleaved; report the median round
 *               (the default 1 round takes about 4–5 minutes for both protocols)
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

type ServerName = 'ceiling' | 'floor' | 'strongbox';
type Proto = 'http' | 'https';
type Kind = 'put-big' | 'get-big' | 'put-small' | 'get-small' | 'head-small' | 'list';

interface CaseDef {
  name: string;
  kind: Kind;
  concurrency: number;
  ops: number;
  /** Keep going past `ops` until this long has passed (read-only cases). */
  minSeconds?: number;
  /** Issue target: Strongbox ≥ ratio × floor on metric. */
  target?: { ratio: number; metric: 'MiBps' | 'opsps' };
}

interface Args {
  quick: boolean;
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

function cases(quick: boolean): CaseDef[] {
  const n = (full: number, q: number): number => (quick ? q : full);
  return [
    { name: 'put-64MiB', kind: 'put-big', concurrency: 1, ops: n(8, 2), target: { ratio: 1.0, metric: 'MiBps' } },
    { name: 'put-64MiB', kind: 'put-big', concurrency: 8, ops: n(32, 8), target: { ratio: 1.0, metric: 'MiBps' } },
    { name: 'get-64MiB', kind: 'get-big', concurrency: 1, ops: n(8, 2), target: { ratio: 0.7, metric: 'MiBps' } },
    { name: 'get-64MiB', kind: 'get-big', concurrency: 8, ops: n(32, 8), target: { ratio: 0.7, metric: 'MiBps' } },
    { name: 'put-4KiB', kind: 'put-small', concurrency: 8, ops: n(2000, 1000), target: { ratio: 0.8, metric: 'opsps' } },
    { name: 'get-4KiB', kind: 'get-small', concurrency: 8, ops: n(4000, 500), minSeconds: n(3, 0.5), target: { ratio: 0.7, metric: 'opsps' } },
    { name: 'head-4KiB', kind: 'head-small', concurrency: 8, ops: n(4000, 500), minSeconds: n(3, 0.5), target: { ratio: 0.7, metric: 'opsps' } },
    { name: 'list', kind: 'list', concurrency: 8, ops: n(100, 20), minSeconds: n(3, 0.5) },
  ];
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
  /** Key groups already written: `big-c1`, `big-c8`, `small`. */
  seeded: Map<string, number>;
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

/**
 * Run fn(0), fn(1), … with at most `concurrency` in flight: at least `ops` calls, and more
 * until `minSeconds` have passed. Returns per-op latencies in ms (one per call made).
 */
async function runPool(concurrency: number, ops: number, fn: (i: number) => Promise<unknown>, minSeconds = 0): Promise<number[]> {
  const lat: number[] = [];
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= ops && performance.now() - start >= minSeconds * 1000) return;
      const i = next++;
      const t = performance.now();
      await withRetry(() => fn(i));
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(ops, 1)) }, worker));
  return lat;
}

let retries = 0;
/** One retry when a reused keep-alive socket was closed by the server just as we sent. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      retries++;
      return await fn();
    }
    throw err;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

interface Result {
  case: string;
  proto: Proto;
  server: ServerName;
  concurrency: number;
  MiBps: number;
  opsps: number;
  cpuSecPerGiB: number | null;
  cpuMsPerOp: number;
  serverCpuSec: number;
  clientCpuSec: number;
  ops: number;
  bytes: number;
  seconds: number;
  p50ms: number;
  p99ms: number;
  /** With --rounds N > 1: the metric of every round (the line shows the median round). */
  rounds?: number[];
}

interface Failure {
  case: string;
  proto: Proto;
  server: ServerName;
  concurrency: number;
  error: string;
}

const bigBuf = randomBytes(MiB);
const smallBuf = randomBytes(SMALL);

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
function operation(def: CaseDef, c: BenchClient, smallCount: number, prefixKey: (i: number) => string = (i) => i.toString()): (i: number) => Promise<number> {
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
  }
}

/** A few unmeasured operations of the same kind, on the same sockets, just before measuring. */
async function warmUp(def: CaseDef, c: BenchClient): Promise<void> {
  const conc = def.concurrency;
  // Open every socket of the pool (TLS handshakes included) with small PUTs.
  await runPool(conc, conc * 4, (i) => c.put(BUCKET, `warm/s${String(i).padStart(4, '0')}`, smallBuf, SMALL));
  switch (def.kind) {
    case 'put-big':
    case 'get-big':
      await c.put(BUCKET, 'warm/big', bigBuf, BIG);
      await c.get(BUCKET, 'warm/big', BIG);
      break;
    case 'put-small':
    case 'get-small':
    case 'head-small': {
      const n = Math.max(50, conc * 8);
      await runPool(conc, n, operation(def, c, conc * 4, (i) => `warm/s${String(i % (conc * 4)).padStart(4, '0')}`));
      break;
    }
    case 'list':
      await runPool(conc, conc * 2, operation(def, c, 0));
      break;
  }
}

async function measure(s: Running, def: CaseDef, ca: Buffer | undefined, smallTarget: number): Promise<Result> {
  const c = client(s, def.concurrency, ca);
  await ensureSeeded(s, def, c, smallTarget);
  await warmUp(def, c);
  const keyOf = def.kind === 'put-big' || def.kind === 'get-big' ? (i: number) => bigKey(def.concurrency, i) : smallKey;
  const op = operation(def, c, s.seeded.get('small') ?? smallTarget, keyOf);
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
  lat.sort((a, b) => a - b);
  return {
    case: def.name,
    proto: s.proto,
    server: s.name,
    concurrency: def.concurrency,
    MiBps: round(bytes / MiB / seconds, 1),
    opsps: round(ops / seconds, 1),
    cpuSecPerGiB: bytes === 0 ? null : round(serverCpuSec / (bytes / GiB), 3),
    cpuMsPerOp: round((serverCpuSec * 1000) / ops, 3),
    serverCpuSec: round(serverCpuSec, 2),
    clientCpuSec: round((clientCpu.user + clientCpu.system) / 1e6, 2),
    ops,
    bytes,
    seconds: round(seconds, 3),
    p50ms: round(percentile(lat, 50), 2),
    p99ms: round(percentile(lat, 99), 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Servers per protocol

async function startStrongbox(proto: Proto, base: string): Promise<Running> {
  const dir = makeTemp('strongbox-bench-', base);
  const args = [STRONGBOX_MAIN, 'serve', '--data', dir, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  if (proto === 'http') args.push('--http');
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

interface Row {
  def: CaseDef;
  proto: Proto;
  results: Partial<Record<ServerName, Result | Failure>>;
}

async function runProtocol(proto: Proto, args: Args, defs: CaseDef[], rows: Row[]): Promise<void> {
  const servers: Running[] = [];
  let ca: Buffer | undefined;
  let tls: { cert: string; key: string } | undefined;
  const startFailures = new Map<ServerName, string>();
  try {
    // Strongbox first: over https its generated certificate is reused by the references.
    if (args.servers.includes('strongbox') || proto === 'https') {
      try {
        const sb = await startStrongbox(proto, args.tmp);
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

    for (const def of defs) {
      const row: Row = { def, proto, results: {} };
      rows.push(row);
      // Rounds interleave the servers (ceiling, floor, strongbox, ceiling, …) so a burst of load
      // from elsewhere hits all of them; each server's median round is reported.
      const rounds = new Map<ServerName, Result[]>();
      for (let k = 0; k < args.rounds; k++) {
        for (const name of args.servers) {
          const s = servers.find((x) => x.name === name);
          if (row.results[name] !== undefined) continue; // failed in an earlier round
          if (s === undefined || s.dead !== undefined) {
            row.results[name] = { case: def.name, proto, server: name, concurrency: def.concurrency, error: s?.dead ?? startFailures.get(name) ?? 'not running' };
            continue;
          }
          note(`${def.name} c=${def.concurrency} ${proto} ${name}${args.rounds > 1 ? ` round ${k + 1}/${args.rounds}` : ''} …`);
          try {
            const r = await measure(s, def, ca, smallTarget);
            rounds.set(name, [...(rounds.get(name) ?? []), r]);
          } catch (err) {
            const msg = err instanceof Error ? err.message : String(err);
            row.results[name] = { case: def.name, proto, server: name, concurrency: def.concurrency, error: s.dead ?? msg };
          }
        }
      }
      for (const name of args.servers) {
        const rs = rounds.get(name);
        if (row.results[name] === undefined && rs !== undefined) {
          const metric = metricOf(def);
          const sorted = [...rs].sort((a, b) => a[metric] - b[metric]);
          const median = sorted[Math.floor((sorted.length - 1) / 2)];
          if (median !== undefined) row.results[name] = args.rounds > 1 ? { ...median, rounds: rs.map((r) => r[metric]) } : median;
        }
        const out = row.results[name];
        if (out !== undefined) emit(out);
      }
      emit(ratioLine(row));
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

const ok = (r: Result | Failure | undefined): r is Result => r !== undefined && !('error' in r);

function metricOf(def: CaseDef): 'MiBps' | 'opsps' {
  return def.target?.metric ?? (def.kind === 'put-big' || def.kind === 'get-big' ? 'MiBps' : 'opsps');
}

function ratioLine(row: Row): object {
  const { def, proto, results } = row;
  const metric = metricOf(def);
  const sb = results.strongbox;
  const fl = results.floor;
  const ce = results.ceiling;
  const vsFloor = ok(sb) && ok(fl) && fl[metric] > 0 ? round(sb[metric] / fl[metric], 3) : null;
  const vsCeiling = ok(sb) && ok(ce) && ce[metric] > 0 ? round(sb[metric] / ce[metric], 3) : null;
  const floorVsCeiling = ok(fl) && ok(ce) && ce[metric] > 0 ? round(fl[metric] / ce[metric], 3) : null;
  return {
    case: def.name,
    proto,
    concurrency: def.concurrency,
    metric,
    'strongbox/floor': vsFloor,
    'strongbox/ceiling': vsCeiling,
    'floor/ceiling': floorVsCeiling,
    target: def.target ? `>=${def.target.ratio.toFixed(2)} of floor` : 'none',
    met: def.target ? (vsFloor === null ? null : vsFloor >= def.target.ratio) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function fmt(r: Result | Failure | undefined, metric: 'MiBps' | 'opsps'): string {
  if (r === undefined) return '–';
  if (!ok(r)) return 'error';
  return r[metric] >= 100 ? r[metric].toFixed(0) : r[metric].toFixed(1);
}

function cpuFmt(r: Result | Failure | undefined, def: CaseDef): string {
  if (!ok(r)) return '–';
  if (def.kind === 'put-big' || def.kind === 'get-big') return r.cpuSecPerGiB === null ? '–' : r.cpuSecPerGiB.toFixed(2);
  return `${r.cpuMsPerOp.toFixed(3)} ms/op`;
}

function markdown(rows: Row[], args: Args, started: Date, seconds: number): string {
  const lines = [
    `# Strongbox benchmark results`,
    '',
    `Run ${started.toISOString()} (${seconds.toFixed(0)} s${args.quick ? ', --quick' : ''}${args.rounds > 1 ? `, median of ${args.rounds} rounds` : ''}${args.only ? `, --only ${[...args.only].join(',')}` : ''}), ` +
      `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), loopback, one client for all servers.`,
    'Ratios are measured in the same run; absolute figures swing 2–4× on shared machines.',
    'Throughput in MiB/s for 64 MiB objects, ops/s otherwise. Server CPU in CPU-seconds per GiB moved (64 MiB cases) or CPU-ms per operation.',
    '',
    '| case | proto | c | Strongbox | floor | ceiling | SB/floor | target | met | SB CPU | floor CPU | ceiling CPU |',
    '|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const row of rows) {
    const r = ratioLine(row) as { 'strongbox/floor': number | null; target: string; met: boolean | null };
    const metric = metricOf(row.def);
    const unit = metric === 'MiBps' ? ' MiB/s' : ' op/s';
    const { strongbox, floor, ceiling } = row.results;
    lines.push(
      `| ${row.def.name} | ${row.proto} | ${row.def.concurrency} | ${fmt(strongbox, metric)}${unit} | ${fmt(floor, metric)} | ${fmt(ceiling, metric)} | ` +
        `${r['strongbox/floor'] === null ? '–' : r['strongbox/floor'].toFixed(2)} | ${r.target.replace(' of floor', '')} | ` +
        `${r.met === null ? '–' : r.met ? 'yes' : '**no**'} | ${cpuFmt(strongbox, row.def)} | ${cpuFmt(floor, row.def)} | ${cpuFmt(ceiling, row.def)} |`,
    );
  }
  const errors = rows.flatMap((row) => Object.values(row.results).filter((r): r is Failure => r !== undefined && 'error' in r));
  if (errors.length > 0) {
    lines.push('', 'Errors:', '');
    const seen = new Set<string>();
    for (const e of errors) {
      const line = `- ${e.server} ${e.proto} ${e.case} c=${e.concurrency}: ${e.error.replace(/\s+/g, ' ').slice(0, 300)}`;
      if (!seen.has(line)) lines.push(line);
      seen.add(line);
    }
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const f of [REFERENCE_MAIN, ...(args.servers.includes('strongbox') || args.protos.includes('https') ? [STRONGBOX_MAIN] : [])]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const defs = cases(args.quick).filter((d) => args.only === undefined || args.only.has(d.name));
  if (defs.length === 0) throw new Error(`--only matched no case (cases: ${[...new Set(cases(false).map((d) => d.name))].join(', ')})`);
  const started = new Date();
  const t0 = performance.now();
  note(`node ${process.version}, ${cpus().length} CPUs, CLK_TCK ${clkTck}, ${args.quick ? 'quick' : 'full'} run: ${defs.map((d) => `${d.name}/c${d.concurrency}`).join(' ')}`);
  const rows: Row[] = [];
  for (const proto of args.protos) await runProtocol(proto, args, defs, rows);
  const seconds = (performance.now() - t0) / 1000;
  const md = markdown(rows, args, started, seconds);
  writeFileSync(RESULTS_MD, md);
  process.stderr.write(`\n${md}\n`);
  note(`done in ${seconds.toFixed(0)} s${retries > 0 ? ` (${retries} retried requests)` : ''}; table written to ${RESULTS_MD}`);
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
