/**
 * The cases of `npm run bench` (bench/run.ts), in run order, and how they are grouped and judged.
 */
import type { CaseDef, Kind, Metric } from './types.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SMALL = 4 * 1024;

/**
 * Every case, in run order. Each SSE-C case follows the cases it is compared with, and
 * `comparisonGroups` measures them round by round together, so that all of them see the same
 * state of a noisy machine.
 */
export function cases(quick: boolean): CaseDef[] {
  const n = (full: number, q: number): number => (quick ? q : full);
  const ssec = { strongboxOnly: true } as const;
  // "64 MiB PUT and GET with SSE-C reach ≥ 80% of the unencrypted throughput"
  const vsPlain = (name: string, c: number): Pick<CaseDef, 'compare'> => ({ compare: [{ vs: { name, concurrency: c }, metric: 'MiBps', ratio: 0.8 }] });
  // Latency cases: median of ≥ 20 operations (quick: 5) at concurrency 1.
  const latency = { ...ssec, concurrency: 1, latency: true, ops: n(20, 5) } as const;
  return [
    { name: 'put-64MiB', kind: 'put-big', concurrency: 1, ops: n(8, 2), target: { ratio: 1.0, metric: 'MiBps' } },
    { name: 'ssec-put-64MiB', kind: 'ssec-put-big', concurrency: 1, ops: n(8, 2), ...ssec, ...vsPlain('put-64MiB', 1) },
    { name: 'put-64MiB', kind: 'put-big', concurrency: 8, ops: n(32, 8), target: { ratio: 1.0, metric: 'MiBps' } },
    { name: 'ssec-put-64MiB', kind: 'ssec-put-big', concurrency: 8, ops: n(32, 8), ...ssec, ...vsPlain('put-64MiB', 8) },
    { name: 'get-64MiB', kind: 'get-big', concurrency: 1, ops: n(8, 2), target: { ratio: 0.7, metric: 'MiBps' } },
    { name: 'ssec-get-64MiB', kind: 'ssec-get-big', concurrency: 1, ops: n(8, 2), ...ssec, ...vsPlain('get-64MiB', 1) },
    { name: 'get-64MiB', kind: 'get-big', concurrency: 8, ops: n(32, 8), target: { ratio: 0.7, metric: 'MiBps' } },
    { name: 'ssec-get-64MiB', kind: 'ssec-get-big', concurrency: 8, ops: n(32, 8), ...ssec, ...vsPlain('get-64MiB', 8) },
    { name: 'put-4KiB', kind: 'put-small', concurrency: 8, ops: n(2000, 1000), target: { ratio: 0.8, metric: 'opsps' } },
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

export const isSsec = (def: CaseDef): boolean => def.strongboxOnly === true;

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
export const BIG_KINDS: readonly Kind[] = ['put-big', 'get-big', 'ssec-put-big', 'ssec-get-big'];

/** The figure a case is judged and its median round chosen on. */
export function metricOf(def: CaseDef): Metric {
  if (def.latency === true) return 'p50ms';
  return def.target?.metric ?? (BIG_KINDS.includes(def.kind) ? 'MiBps' : 'opsps');
}
