/**
 * Types shared by the `npm run bench` runner (bench/run.ts) and its SSE-C cases (bench/ssec.ts).
 */
export type ServerName = 'ceiling' | 'floor' | 'strongbox';
export type Proto = 'http' | 'https';
export type Kind =
  | 'put-big'
  | 'get-big'
  | 'put-small'
  | 'get-small'
  | 'head-small'
  | 'list'
  | 'ssec-put-big'
  | 'ssec-get-big'
  | 'ssec-rotate'
  | 'ssec-range';

/** The figure a case is judged on: throughput, or the median latency of one operation. */
export type Metric = 'MiBps' | 'opsps' | 'p50ms';

/**
 * A target against another Strongbox case of the same run and protocol (the references have
 * no SSE-C): `ratio` is this case's metric over that case's, at least `ratio` for throughput
 * and at most `ratio` for latency.
 */
export interface Comparison {
  vs: { name: string; concurrency: number };
  metric: 'MiBps' | 'p50ms';
  ratio: number;
}

export interface CaseDef {
  name: string;
  kind: Kind;
  concurrency: number;
  ops: number;
  /** Keep going past `ops` until this long has passed (read-only cases). */
  minSeconds?: number;
  /** Issue target: Strongbox ≥ ratio × floor on metric. */
  target?: { ratio: number; metric: 'MiBps' | 'opsps' };
  /** Run on Strongbox only (SSE-C); reported in the SSE-C table. */
  strongboxOnly?: boolean;
  /** Object size of a rotate or range case. */
  size?: number;
  /** Judged on median latency (p50ms) rather than throughput. */
  latency?: boolean;
  /** Targets against other Strongbox cases of the same run. */
  compare?: Comparison[];
}

export interface Result {
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
  /** Median latency of one operation. */
  p50ms: number;
  p99ms: number;
  /** With --rounds N > 1: the metric of every round (the line shows the median round). */
  rounds?: number[];
}

export interface Failure {
  case: string;
  proto: Proto;
  server: ServerName;
  concurrency: number;
  error: string;
}

export interface Row {
  def: CaseDef;
  proto: Proto;
  results: Partial<Record<ServerName, Result | Failure>>;
}

export const ok = (r: Result | Failure | undefined): r is Result => r !== undefined && !('error' in r);

export const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
