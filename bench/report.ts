/**
 * What `npm run bench` prints: the ratio line of a plain case (Strongbox against the floor and
 * the ceiling) or of an encrypted one (Strongbox against its own plain cases), and the
 * markdown written to bench/results.md (the plain table, then the SSE table).
 */
import { cpus } from 'node:os';
import { BIG_KINDS, isSse, metricOf } from './cases.js';
import { SSE_MODES } from './sse-modes.js';
import { ok, round, type CaseDef, type Comparison, type Failure, type Metric, type Result, type Row } from './types.js';

/** The run options the report's header line mentions. */
export interface RunInfo {
  quick: boolean;
  rounds: number;
  only: Set<string> | undefined;
}

/** The JSON ratio line of a plain case: Strongbox over the floor and the ceiling, and the issue's target. */
export function ratioLine(row: Row): object {
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

function fmt(r: Result | Failure | undefined, metric: Metric): string {
  if (r === undefined) return '–';
  if (!ok(r)) return 'error';
  return r[metric] >= 100 ? r[metric].toFixed(0) : r[metric].toFixed(1);
}

function cpuFmt(r: Result | Failure | undefined, def: CaseDef): string {
  if (!ok(r)) return '–';
  if (BIG_KINDS.includes(def.kind)) return r.cpuSecPerGiB === null ? '–' : r.cpuSecPerGiB.toFixed(2);
  return `${r.cpuMsPerOp.toFixed(3)} ms/op`;
}

export function markdown(rows: Row[], args: RunInfo, started: Date, seconds: number): string {
  const lines = [
    `# Strongbox benchmark results`,
    '',
    `Run ${started.toISOString()} (${seconds.toFixed(0)} s${args.quick ? ', --quick' : ''}${args.rounds > 1 ? `, median of ${args.rounds} rounds` : ''}${args.only ? `, --only ${[...args.only].join(',')}` : ''}), ` +
      `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), loopback, one client for all servers.`,
    'Ratios are measured in the same run; absolute figures swing 2–4× on shared machines.',
    'Throughput in MiB/s for 64 MiB objects, ops/s otherwise. Server CPU in CPU-seconds per GiB moved (64 MiB cases) or CPU-ms per operation.',
  ];
  const plainRows = rows.filter((row) => !isSse(row.def));
  if (plainRows.length > 0) {
    lines.push(
      '',
      '| case | proto | c | Strongbox | floor | ceiling | SB/floor | target | met | SB CPU | floor CPU | ceiling CPU |',
      '|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|',
    );
  }
  for (const row of plainRows) {
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
  const sse = sseTable(rows);
  if (sse.length > 0) lines.push('', ...sse);
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
// Encrypted cases: Strongbox against its own cases of the same run

export interface ComparisonResult {
  vs: string;
  metric: Metric;
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  /** `>=0.80`, `<=1.50`, or `none` (ratio reported only). */
  target: string;
  /** null: no target, or no ratio (this case or the other failed or was not run). */
  met: boolean | null;
}

const caseLabel = (name: string, concurrency: number): string => `${name} c=${concurrency}`;

/** This row's comparisons with other Strongbox rows of the same protocol in `rows`. */
export function comparisons(row: Row, rows: readonly Row[]): ComparisonResult[] {
  const own = row.results.strongbox;
  return (row.def.compare ?? []).map((cmp: Comparison) => {
    const base = rows.find((r) => r.proto === row.proto && r.def.name === cmp.vs.name && r.def.concurrency === cmp.vs.concurrency)?.results.strongbox;
    const value = ok(own) ? own[cmp.metric] : null;
    const baseline = ok(base) ? base[cmp.metric] : null;
    const ratio = value !== null && baseline !== null && baseline > 0 ? round(value / baseline, 3) : null;
    const higherIsBetter = cmp.metric !== 'p50ms';
    const target = cmp.ratio;
    return {
      vs: caseLabel(cmp.vs.name, cmp.vs.concurrency),
      metric: cmp.metric,
      value,
      baseline,
      ratio,
      target: target === undefined ? 'none' : `${higherIsBetter ? '>=' : '<='}${target.toFixed(2)}`,
      met: ratio === null || target === undefined ? null : higherIsBetter ? ratio >= target : ratio <= target,
    };
  });
}

/** The JSON ratio line of an encrypted case. */
export function sseRatioLine(row: Row, rows: readonly Row[]): object {
  const sb = row.results.strongbox;
  const metric = metricOf(row.def);
  return {
    case: row.def.name,
    proto: row.proto,
    concurrency: row.def.concurrency,
    mode: row.def.sse === undefined ? null : SSE_MODES[row.def.sse].label,
    metric,
    strongbox: ok(sb) ? sb[metric] : null,
    ...(sb !== undefined && !ok(sb) ? { error: sb.error } : {}),
    comparisons: comparisons(row, rows),
  };
}

function fmtValue(v: number | null, metric: Metric): string {
  if (v === null) return '–';
  if (metric === 'p50ms') return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ms`;
  const n = v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return metric === 'MiBps' ? `${n} MiB/s` : `${n} op/s`;
}

function sseCpu(r: Result, def: CaseDef): string {
  if (BIG_KINDS.includes(def.kind)) return r.cpuSecPerGiB === null ? '–' : `${r.cpuSecPerGiB.toFixed(2)} s/GiB`;
  return `${r.cpuMsPerOp.toFixed(2)} ms/op`;
}

/** The SSE table (markdown lines), one line per comparison; empty when no encrypted case ran. */
export function sseTable(rows: readonly Row[]): string[] {
  const sseRows = rows.filter((r) => isSse(r.def));
  if (sseRows.length === 0) return [];
  const lines = [
    '## Server-side encryption (Strongbox only)',
    '',
    'The references have no SSE, so these cases run on Strongbox alone and are judged against its own cases of the same run and protocol:',
    'throughput over the plain case at the same concurrency, or the median latency of one operation (concurrency 1) over the other case\'s median.',
    'Modes: ssec = SSE-C (customer key), sses3 = SSE-S3 (AES256), ssekms = SSE-KMS (aws:kms, the aws/s3 key), dssekms = DSSE-KMS (aws:kms:dsse, no target: ratio reported).',
    'rotate = CopyObject of an SSE-C object onto itself under the other customer key (A→B, B→A, …); range-1B = a 1-byte range GET at a random offset.',
    'SB CPU is the server\'s CPU-seconds per GiB moved (64 MiB cases) or CPU-ms per operation. A failed case shows **failed** (its error is listed below).',
    '',
    '| case | mode | proto | c | Strongbox | p99 | compared with | its figure | ratio | target | met | SB CPU |',
    '|---|---|---|---:|---:|---:|---|---:|---:|---|---|---:|',
  ];
  for (const row of sseRows) {
    const sb = row.results.strongbox;
    if (sb === undefined) continue;
    const metric = metricOf(row.def);
    const mode = row.def.sse === undefined ? '–' : SSE_MODES[row.def.sse].label;
    const head =
      `| ${row.def.name} | ${mode} | ${row.proto} | ${row.def.concurrency} | ${ok(sb) ? fmtValue(sb[metric], metric) : 'error'} | ` +
      `${ok(sb) ? fmtValue(sb.p99ms, 'p50ms') : '–'}`;
    const tail = ok(sb) ? sseCpu(sb, row.def) : '–';
    const met = (m: boolean | null): string => (!ok(sb) ? '**failed**' : m === null ? '–' : m ? 'yes' : '**no**');
    const cmps = comparisons(row, rows);
    if (cmps.length === 0) lines.push(`${head} | – | – | – | none | ${met(null)} | ${tail} |`);
    for (const c of cmps) {
      lines.push(
        `${head} | ${c.vs} | ${fmtValue(c.baseline, c.metric)} | ${c.ratio === null ? '–' : c.ratio.toFixed(2)} | ${c.target} | ${met(c.met)} | ${tail} |`,
      );
    }
  }
  return lines;
}
