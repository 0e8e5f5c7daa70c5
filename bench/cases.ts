/**
 * The cases of `npm run bench` (bench/run.ts), in run order, and how they are grouped and judged.
 */
import { SSE_MODES, type SseMode } from './sse-modes.js';
import type { CaseDef, Comparison, Kind, Metric } from './types.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SMALL = 4 * 1024;

/**
 * Throughput target of each mode's 64 MiB PUT and GET over the plain ones at the same
 * concurrency. Issue 3: "64 MiB PUT and GET with SSE-C reach ≥ 80% of the unencrypted
 * throughput"; issue 4: "SSE-S3 and SSE-KMS 64 MiB throughput ≥ 80% of plain". DSSE-KMS
 * encrypts every byte twice and has no target: its ratio is only reported.
 */
const BIG_RATIO: Readonly<Record<SseMode, number | undefined>> = { 'sse-c': 0.8, 'sse-s3': 0.8, 'sse-kms': 0.8, 'dsse-kms': undefined };
const MODES = Object.keys(BIG_RATIO) as SseMode[];

const versus = (plain: CaseDef, metric: Metric, ratio: number | undefined): Comparison => ({
  vs: { name: plain.name, concurrency: plain.concurrency },
  metric,
  ...(ratio === undefined ? {} : { ratio }),
});

/** A plain 64 MiB case followed by the same case under every mode, each compared with it. */
function withEveryMode(plain: CaseDef): CaseDef[] {
  const kind: Kind = plain.kind === 'put-big' ? 'sse-put-big' : 'sse-get-big';
  return [
    plain,
    ...MODES.map((sse): CaseDef => ({
      name: `${SSE_MODES[sse].prefix}-${plain.name}`,
      kind,
      concurrency: plain.concurrency,
      ops: plain.ops,
      sse,
      compare: [versus(plain, 'MiBps', BIG_RATIO[sse])],
    })),
  ];
}

/**
 * Every case, in run order. Each encrypted case follows the cases it is compared with, and
 * `comparisonGroups` measures them round by round together, so that all of them see the same
 * state of a noisy machine.
 */
export function cases(quick: boolean): CaseDef[] {
  const n = (full: number, q: number): number => (quick ? q : full);
  // Latency cases: median of ≥ 20 operations (quick: 5) at concurrency 1.
  const latency = { sse: 'sse-c', concurrency: 1, latency: true, ops: n(20, 5) } as const;
  const put4KiB: CaseDef = { name: 'put-4KiB', kind: 'put-small', concurrency: 8, ops: n(2000, 1000), target: { ratio: 0.8, metric: 'opsps' } };
  return [
    ...withEveryMode({ name: 'put-64MiB', kind: 'put-big', concurrency: 1, ops: n(8, 2), target: { ratio: 1.0, metric: 'MiBps' } }),
    ...withEveryMode({ name: 'put-64MiB', kind: 'put-big', concurrency: 8, ops: n(32, 8), target: { ratio: 1.0, metric: 'MiBps' } }),
    ...withEveryMode({ name: 'get-64MiB', kind: 'get-big', concurrency: 1, ops: n(8, 2), target: { ratio: 0.7, metric: 'MiBps' } }),
    ...withEveryMode({ name: 'get-64MiB', kind: 'get-big', concurrency: 8, ops: n(32, 8), target: { ratio: 0.7, metric: 'MiBps' } }),
    put4KiB,
    // Issue 4: "small-object SSE-KMS PUT ops/s ≥ 70% of plain" (one KMS data key per object).
    { name: 'ssekms-put-4KiB', kind: 'sse-put-small', concurrency: 8, ops: put4KiB.ops, sse: 'sse-kms', compare: [versus(put4KiB, 'opsps', 0.7)] },
    { name: 'get-4KiB', kind: 'get-small', concurrency: 8, ops: n(4000, 500), minSeconds: n(3, 0.5), target: { ratio: 0.7, metric: 'opsps' } },
    { name: 'head-4KiB', kind: 'head-small', concurrency: 8, ops: n(4000, 500), minSeconds: n(3, 0.5), target: { ratio: 0.7, metric: 'opsps' } },
    { name: 'list', kind: 'list', concurrency: 8, ops: n(100, 20), minSeconds: n(3, 0.5) },
    // The yardstick of rotation: one plain 4 KiB PUT at concurrency 1 (its median latency).
    { name: 'put-4KiB', kind: 'put-small', concurrency: 1, ops: n(100, 20) },
    // "rotating a 1 GiB object takes no longer than 1.5× rotating a 1 MiB one, and no longer
    // than 3× a 4 KiB PUT"
    { name: 'ssec-rotate-1MiB', kind: 'ssec-rotate', size: MiB, ...latency },
    {
      name: 'ssec-rotate-1GiB',
      kind: 'ssec-rotate',
      size: GiB,
      ...latency,
      compare: [
        { vs: { name: 'ssec-rotate-1MiB', concurrency: 1 }, metric: 'p50ms', ratio: 1.5 },
        { vs: { name: 'put-4KiB', concurrency: 1 }, metric: 'p50ms', ratio: 3 },
      ],
    },
    // "a 1-byte range GET of a 1 GiB SSE-C object takes no longer than 2× a 1-byte range GET of
    // a 4 KiB one"
    { name: 'ssec-range-1B-4KiB', kind: 'ssec-range', size: SMALL, ...latency, ops: n(50, 5) },
    {
      name: 'ssec-range-1B-1GiB',
      kind: 'ssec-range',
      size: GiB,
      ...latency,
      ops: n(50, 5),
      compare: [{ vs: { name: 'ssec-range-1B-4KiB', concurrency: 1 }, metric: 'p50ms', ratio: 2 }],
    },
  ];
}

/** Encrypted cases run on Strongbox only (the references have no SSE). */
export const isSse = (def: CaseDef): boolean => def.sse !== undefined;

/**
 * `defs` split into groups measured round by round together: a case and every case it is
 * compared with (transitively), in the order of `defs`; a case compared with nothing is alone.
 */
export function comparisonGroups(defs: readonly CaseDef[]): CaseDef[][] {
  const same = (a: CaseDef, b: { name: string; concurrency: number }): boolean => a.name === b.name && a.concurrency === b.concurrency;
  const groupOf = new Map<CaseDef, CaseDef[]>();
  const groups: CaseDef[][] = [];
  for (const def of defs) {
    const linked = defs.filter((d) => (def.compare ?? []).some((c) => same(d, c.vs)) || (d.compare ?? []).some((c) => same(def, c.vs)));
    const existing = [...new Set(linked.map((d) => groupOf.get(d)).filter((g) => g !== undefined))];
    const target = existing[0] ?? [];
    if (existing.length === 0) groups.push(target);
    for (const g of existing.slice(1)) {
      // Two groups joined by this case become one.
      target.push(...g);
      groups.splice(groups.indexOf(g), 1);
      for (const d of g) groupOf.set(d, target);
    }
    target.push(def);
    groupOf.set(def, target);
  }
  return groups.map((g) => defs.filter((d) => g.includes(d)));
}

/** Kinds moving 64 MiB objects: judged on MiB/s, CPU reported per GiB. */
export const BIG_KINDS: readonly Kind[] = ['put-big', 'get-big', 'sse-put-big', 'sse-get-big'];

/** The figure a case is judged and its median round chosen on. */
export function metricOf(def: CaseDef): Metric {
  if (def.latency === true) return 'p50ms';
  return def.target?.metric ?? (BIG_KINDS.includes(def.kind) ? 'MiBps' : 'opsps');
}
