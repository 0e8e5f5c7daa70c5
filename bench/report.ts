/**
 * What `npm run bench` prints: the ratio line of a plain case (Strongbox against the floor and
 * the ceiling) and the markdown written to bench/results.md (the plain table, then the SSE-C
 * table of bench/ssec.ts).
 */
import { cpus } from 'node:os';
import { BIG_KINDS, isSsec, metricOf } from './cases.js';
import { ssecTable } from './ssec.js';
import { ok, round, type CaseDef, type Failure, type Metric, type Result, type Row } from './types.js';

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
  const plainRows = rows.filter((row) => !isSsec(row.def));
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
  const ssec = ssecTable(rows);
  if (ssec.length > 0) lines.push('', ...ssec);
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
