/**
 * Types shared by the `npm run bench` runner (bench/run.ts) and its encrypted cases (bench/sse.ts).
 */
import type { SseMode } from './sse-modes.js';

export type ServerName = 'ceiling' | 'floor' | 'strongbox';
export type Proto = 'http' | 'https';
export type Kind =
  | 'put-big'
  | 'get-big'
  | 'put-small'
  | 'get-small'
  | 'head-small'
  | 'list'
  // Encrypted (the mode is the case's `sse`):
  | 'sse-put-big'
  | 'sse-get-big'
  | 'sse-put-small'
  // SSE-C only:
  | 'ssec-rotate'
  | 'ssec-range';

/** The figure a case is judged on: throughput, or the median latency of one operation. */
export type Metric = 'MiBps' | 'opsps' | 'p50ms';

/**
 * A comparison with another Strongbox case of the same run and protocol (the references have
 * no SSE): this case's metric over that case's. With a `ratio`, the target is at least `ratio`
 * for throughput and at most `ratio` for latency; without one the ratio is only reported.
 */
export interface Comparison {
  vs: { name: string; concurrency: number };
  metric: Metric;
  ratio?: number;
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
  /** Encrypted under this mode: run on Strongbox only and reported in the SSE table. */
  sse?: SseMode;
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
