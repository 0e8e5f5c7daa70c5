/**
 * SSE-C cases of `npm run bench`, run on Strongbox only (the references have no SSE-C) and
 * judged against Strongbox's own cases of the same run and protocol (see `Comparison`):
 *
 *   ssec-put-64MiB, ssec-get-64MiB   throughput, against put-64MiB / get-64MiB at the same concurrency
 *   ssec-rotate-<size>               CopyObject of an SSE-C object onto itself under the other
 *                                    customer key (A→B, B→A, …: every operation re-keys), latency
 *   ssec-range-1B-<size>             a 1-byte range GET at a pseudo-random offset, latency
 *
 * Every SSE-C response must echo the customer algorithm and key MD5, and a range GET must
 * return the byte that was written there, so a server that ignored the headers (or read the
 * wrong place) cannot look fast. After the warm-up rotations a HEAD with the previous key
 * must be refused, so a rotation that kept the old key cannot look fast either.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BenchClient, Response } from './client.js';
import { metricOf } from './cases.js';
import { runPool } from './pool.js';
import { ok, round, type CaseDef, type Comparison, type Metric, type Result, type Row } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** What each server remembers between cases and rounds. */
export interface SsecServer {
  /** Key groups already written (shared with the plain cases' groups, distinct names). */
  seeded: Map<string, number>;
  /** Which customer key each rotated object is currently under. */
  ssecKey: Map<string, KeyIndex>;
}

/** The bytes written: `small` for objects up to its size, else `big` repeated. */
export interface Payload {
  big: Buffer;
  small: Buffer;
}

type KeyIndex = 0 | 1;

const CUSTOMER = 'x-amz-server-side-encryption-customer';
const COPY_SOURCE_CUSTOMER = 'x-amz-copy-source-server-side-encryption-customer';
const KEYS: readonly [Buffer, Buffer] = [randomBytes(32), randomBytes(32)];
const md5Base64 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

function triple(prefix: string, k: KeyIndex): Readonly<Record<string, string>> {
  return Object.freeze({
    [`${prefix}-algorithm`]: 'AES256',
    [`${prefix}-key`]: KEYS[k].toString('base64'),
    [`${prefix}-key-md5`]: md5Base64(KEYS[k]),
  });
}

const KEY_HEADERS = [triple(CUSTOMER, 0), triple(CUSTOMER, 1)] as const;
const COPY_SOURCE_HEADERS = [triple(COPY_SOURCE_CUSTOMER, 0), triple(COPY_SOURCE_CUSTOMER, 1)] as const;

/** Throws unless the response says it was served under customer key `k`. */
function expectSseC(res: Response, k: KeyIndex, what: string): void {
  const alg = res.headers[`${CUSTOMER}-algorithm`];
  const md5 = res.headers[`${CUSTOMER}-key-md5`];
  if (alg !== 'AES256' || md5 !== md5Base64(KEYS[k])) {
    throw new Error(`${what}: response lacks the SSE-C headers of the key used (algorithm ${String(alg)}, key MD5 ${String(md5)})`);
  }
}

export const sizeLabel = (n: number): string =>
  n >= GiB && n % GiB === 0 ? `${n / GiB}GiB` : n >= MiB && n % MiB === 0 ? `${n / MiB}MiB` : n >= KiB && n % KiB === 0 ? `${n / KiB}KiB` : `${n}B`;

/** Seed group of the SSE-C 64 MiB objects written at concurrency c. */
export const ssecBigGroup = (c: number): string => `ssec-big-c${c}`;
const bigKey = (c: number, i: number): string => `ssec/big/c${c}/${String(i).padStart(5, '0')}`;
/** One object per size, shared by the rotate and range cases of that size. */
const objectKey = (size: number): string => `ssec/obj/${sizeLabel(size)}`;

function sizeOf(def: CaseDef): number {
  if (def.size === undefined) throw new Error(`${def.name}: no object size`);
  return def.size;
}

const bufferFor = (p: Payload, size: number): Buffer => (size <= p.small.length ? p.small : p.big);
/** The plaintext byte at `offset` of an object of `size` bytes written from `bufferFor` (repeated). */
const byteAt = (p: Payload, size: number, offset: number): number => {
  const buf = bufferFor(p, size);
  return buf[offset % buf.length] ?? -1;
};

/** xorshift32: pseudo-random range offsets, the same sequence in every run. */
let rngState = 0x9e3779b9;
function nextRandom(): number {
  rngState ^= rngState << 13;
  rngState >>>= 0;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  rngState >>>= 0;
  return rngState;
}

/** The operation an SSE-C case measures, as fn(i) → bytes moved. */
export function ssecOperation(def: CaseDef, c: BenchClient, s: SsecServer, bucket: string, p: Payload): (i: number) => Promise<number> {
  const big = 64 * MiB;
  switch (def.kind) {
    case 'ssec-put-big':
      return async (i) => {
        const key = bigKey(def.concurrency, i);
        expectSseC(await c.put(bucket, key, p.big, big, KEY_HEADERS[0]), 0, `PUT ${key}`);
        return big;
      };
    case 'ssec-get-big':
      return async (i) => {
        const key = bigKey(def.concurrency, i);
        const res = await c.getResponse(bucket, key, big, KEY_HEADERS[0]);
        expectSseC(res, 0, `GET ${key}`);
        return res.bytes;
      };
    case 'ssec-rotate': {
      const key = objectKey(sizeOf(def));
      return async () => {
        const from = s.ssecKey.get(key);
        if (from === undefined) throw new Error(`${key} was not written`);
        const to: KeyIndex = from === 0 ? 1 : 0;
        const res = await c.copy(bucket, key, `${bucket}/${key}`, { ...COPY_SOURCE_HEADERS[from], ...KEY_HEADERS[to] });
        expectSseC(res, to, `CopyObject ${key}`);
        s.ssecKey.set(key, to);
        return 0;
      };
    }
    case 'ssec-range': {
      const size = sizeOf(def);
      const key = objectKey(size);
      return async () => {
        const k = s.ssecKey.get(key);
        if (k === undefined) throw new Error(`${key} was not written`);
        const offset = nextRandom() % size;
        const res = await c.getRange(bucket, key, offset, offset, KEY_HEADERS[k]);
        expectSseC(res, k, `GET ${key} bytes=${offset}-${offset}`);
        if (res.prefix[0] !== byteAt(p, size, offset)) throw new Error(`GET ${key} bytes=${offset}-${offset}: wrong byte ${res.prefix[0]}`);
        return res.bytes;
      };
    }
    case 'put-big':
    case 'get-big':
    case 'put-small':
    case 'get-small':
    case 'head-small':
    case 'list':
      throw new Error(`${def.name} is not an SSE-C case`);
  }
}

/** Write whatever an SSE-C case reads (unmeasured, streamed) unless an earlier case did. */
export async function ssecSeed(def: CaseDef, c: BenchClient, s: SsecServer, bucket: string, p: Payload): Promise<void> {
  if (def.kind === 'ssec-get-big') {
    const group = ssecBigGroup(def.concurrency);
    if ((s.seeded.get(group) ?? 0) >= def.ops) return;
    await runPool(def.concurrency, def.ops, (i) => c.put(bucket, bigKey(def.concurrency, i), p.big, 64 * MiB, KEY_HEADERS[0]));
    s.seeded.set(group, def.ops);
  } else if (def.kind === 'ssec-rotate' || def.kind === 'ssec-range') {
    const size = sizeOf(def);
    const key = objectKey(size);
    if (s.ssecKey.has(key)) return;
    expectSseC(await c.put(bucket, key, bufferFor(p, size), size, KEY_HEADERS[0]), 0, `PUT ${key}`);
    s.ssecKey.set(key, 0);
  }
}

/** A few unmeasured operations of the case's kind; after rotations, checks the old key is refused. */
export async function ssecWarmUp(def: CaseDef, c: BenchClient, s: SsecServer, bucket: string, p: Payload): Promise<void> {
  switch (def.kind) {
    case 'ssec-put-big':
    case 'ssec-get-big':
      await c.put(bucket, 'warm/ssec-big', p.big, 64 * MiB, KEY_HEADERS[0]);
      await c.get(bucket, 'warm/ssec-big', 64 * MiB, KEY_HEADERS[0]);
      break;
    case 'ssec-rotate': {
      await runPool(1, 2, ssecOperation(def, c, s, bucket, p));
      const key = objectKey(sizeOf(def));
      const current = s.ssecKey.get(key) ?? 0;
      const stale: KeyIndex = current === 0 ? 1 : 0;
      const res = await c.request('HEAD', `/${bucket}/${key}`, {}, undefined, { headers: KEY_HEADERS[stale] });
      if (res.status < 400 || res.status >= 500) throw new Error(`HEAD ${key} with the key it was rotated away from answered ${res.status}, not 4xx`);
      expectSseC(await c.head(bucket, key, sizeOf(def), KEY_HEADERS[current]), current, `HEAD ${key}`);
      break;
    }
    case 'ssec-range':
      await runPool(1, 5, ssecOperation(def, c, s, bucket, p));
      break;
    case 'put-big':
    case 'get-big':
    case 'put-small':
    case 'get-small':
    case 'head-small':
    case 'list':
      throw new Error(`${def.name} is not an SSE-C case`);
  }
}

// ---------------------------------------------------------------------------------------------
// Comparisons and report

export interface ComparisonResult {
  vs: string;
  metric: Comparison['metric'];
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  target: string;
  met: boolean | null;
}

const caseLabel = (name: string, concurrency: number): string => `${name} c=${concurrency}`;

/** This row's targets against other Strongbox rows of the same protocol in `rows`. */
export function comparisons(row: Row, rows: readonly Row[]): ComparisonResult[] {
  const own = row.results.strongbox;
  return (row.def.compare ?? []).map((cmp) => {
    const base = rows.find((r) => r.proto === row.proto && r.def.name === cmp.vs.name && r.def.concurrency === cmp.vs.concurrency)?.results.strongbox;
    const value = ok(own) ? own[cmp.metric] : null;
    const baseline = ok(base) ? base[cmp.metric] : null;
    const ratio = value !== null && baseline !== null && baseline > 0 ? round(value / baseline, 3) : null;
    const higherIsBetter = cmp.metric === 'MiBps';
    return {
      vs: caseLabel(cmp.vs.name, cmp.vs.concurrency),
      metric: cmp.metric,
      value,
      baseline,
      ratio,
      target: `${higherIsBetter ? '>=' : '<='}${cmp.ratio.toFixed(2)}`,
      met: ratio === null ? null : higherIsBetter ? ratio >= cmp.ratio : ratio <= cmp.ratio,
    };
  });
}

/** The JSON ratio line of an SSE-C row. */
export function ssecRatioLine(row: Row, rows: readonly Row[], metric: Metric): object {
  const sb = row.results.strongbox;
  return {
    case: row.def.name,
    proto: row.proto,
    concurrency: row.def.concurrency,
    metric,
    strongbox: ok(sb) ? sb[metric] : null,
    comparisons: comparisons(row, rows),
  };
}

function fmtValue(v: number | null, metric: Metric): string {
  if (v === null) return '–';
  if (metric === 'p50ms') return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ms`;
  const n = v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return metric === 'MiBps' ? `${n} MiB/s` : `${n} op/s`;
}

function cpu(r: Result, def: CaseDef): string {
  if (def.kind === 'ssec-put-big' || def.kind === 'ssec-get-big') return r.cpuSecPerGiB === null ? '–' : `${r.cpuSecPerGiB.toFixed(2)} s/GiB`;
  return `${r.cpuMsPerOp.toFixed(1)} ms/op`;
}

/** The SSE-C table (markdown lines), one line per target; empty when no SSE-C case ran. */
export function ssecTable(rows: readonly Row[]): string[] {
  const ssecRows = rows.filter((r) => r.def.strongboxOnly === true);
  if (ssecRows.length === 0) return [];
  const lines = [
    '## SSE-C (Strongbox only)',
    '',
    'The references have no SSE-C, so these cases run on Strongbox alone and are judged against its own cases of the same run and protocol:',
    'throughput over the plain case at the same concurrency, or the median latency of one operation (concurrency 1) over the other case\'s median.',
    'rotate = CopyObject of an SSE-C object onto itself under the other customer key (A→B, B→A, …); range-1B = a 1-byte range GET at a random offset.',
    'SB CPU is the server\'s CPU-seconds per GiB moved (64 MiB cases) or CPU-ms per operation.',
    '',
    '| case | proto | c | Strongbox | p99 | compared with | its figure | ratio | target | met | SB CPU |',
    '|---|---|---:|---:|---:|---|---:|---:|---|---|---:|',
  ];
  for (const row of ssecRows) {
    const sb = row.results.strongbox;
    if (sb === undefined) continue;
    const metric = metricOf(row.def);
    const head = `| ${row.def.name} | ${row.proto} | ${row.def.concurrency} | ${ok(sb) ? fmtValue(sb[metric], metric) : 'error'} | ${ok(sb) ? fmtValue(sb.p99ms, 'p50ms') : '–'}`;
    const tail = ok(sb) ? cpu(sb, row.def) : '–';
    const cmps = comparisons(row, rows);
    if (cmps.length === 0) lines.push(`${head} | – | – | – | none | – | ${tail} |`);
    for (const c of cmps) {
      lines.push(
        `${head} | ${c.vs} | ${fmtValue(c.baseline, c.metric)} | ${c.ratio === null ? '–' : c.ratio.toFixed(2)} | ${c.target} | ` +
          `${c.met === null ? '–' : c.met ? 'yes' : '**no**'} | ${tail} |`,
      );
    }
  }
  return lines;
}
