/** What `strongbox rotate` prints: a line per object and the final report. Labels and fingerprints only, never keys. */
import { formatBytes } from '../progress.js';
import type { ObjectOutcome } from './rotate-object.js';
import type { RotationTally } from './rotation.js';

/** How outcomes are named in lines and reports; `neither` is "OLD or NEW" with the keys' labels. */
function kindLabel(kind: string, neither: string): string {
  switch (kind) {
    case 'rotated':
      return 'rotated';
    case 'would-rotate':
      return 'would rotate';
    case 'already-rotated':
      return 'already rotated';
    case 'not-sse-c':
      return 'not SSE-C (skipped)';
    case 'not-opened':
      return `not opened by ${neither}`;
    case 'changed':
      return 'changed meanwhile';
    case 'gone':
      return 'deleted meanwhile';
    case 'failed':
      return 'failed';
    default:
      return kind;
  }
}

/** The line for one object; `warn` lines go to stderr (they need attention and a re-run). */
export function outcomeLine(url: string, outcome: ObjectOutcome, neither: string): { readonly text: string; readonly warn: boolean } {
  switch (outcome.kind) {
    case 'rotated':
      return { text: `rotated: ${url}${outcome.multipart ? ' (copied in parts)' : ''}`, warn: false };
    case 'would-rotate':
      return { text: `would rotate: ${url} (${formatBytes(outcome.size)}${outcome.multipart ? ', in parts' : ''})`, warn: false };
    case 'already-rotated':
      return { text: `already rotated: ${url}`, warn: false };
    case 'not-sse-c':
      return { text: `skipped (${outcome.protection}): ${url}`, warn: false };
    case 'not-opened':
      return { text: `not opened by ${neither}: ${url}`, warn: false };
    case 'changed':
      return { text: `changed meanwhile, not rotated (re-run to retry): ${url}`, warn: true };
    case 'gone':
      return { text: `deleted meanwhile: ${url}`, warn: false };
    case 'failed':
      return { text: `failed: ${outcome.message}`, warn: true };
  }
}

/** "rotated 44, already rotated 16": the non-zero counts, in a fixed order. */
export function countsText(counts: Readonly<Record<string, number>>, neither: string): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${kindLabel(k, neither)} ${n}`);
  return parts.length === 0 ? 'no objects' : parts.join(', ');
}

export interface ReportContext {
  /** s3://bucket/prefix */
  readonly url: string;
  readonly from: string;
  readonly to: string;
  readonly neither: string;
  /** complete, dry run, interrupted … */
  readonly status: string;
  readonly elapsedMs: number;
  readonly journal: string | undefined;
}

/** The final report: counts of this run, what earlier runs did, time and throughput. */
export function reportLines(tally: RotationTally, ctx: ReportContext): string[] {
  const c = tally.counts;
  const earlier = Object.values(tally.fromJournal).reduce((a, b) => a + b, 0);
  const objects = Object.values(c).reduce((a, b) => a + b, 0) + earlier;
  const rows: [string, string | number][] = [['objects', objects]];
  const moved = c['would-rotate'] > 0 ? 'would-rotate' : 'rotated';
  const detail = [formatBytes(tally.bytes), ...(tally.multipart > 0 ? [`${tally.multipart} in parts`] : [])].join(', ');
  rows.push([kindLabel(moved, ctx.neither), `${c[moved]} (${detail})`]);
  for (const kind of ['already-rotated', 'not-sse-c', 'not-opened', 'changed', 'gone', 'failed'] as const) {
    if (c[kind] > 0) rows.push([kindLabel(kind, ctx.neither), c[kind]]);
  }
  if (earlier > 0) rows.push(['done by earlier runs', `${earlier} (${countsText(tally.fromJournal, ctx.neither)})`]);
  const seconds = ctx.elapsedMs / 1000;
  const handled = objects - earlier;
  const rate = seconds > 0 ? ` (${(handled / seconds).toFixed(1)} objects/s, ${formatBytes(Math.round(tally.bytes / seconds))}/s)` : '';
  rows.push(['elapsed', `${seconds.toFixed(1)} s${rate}`]);
  if (ctx.journal !== undefined) rows.push(['journal', ctx.journal]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [`rotation of ${ctx.url} from ${ctx.from} to ${ctx.to}: ${ctx.status}`];
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(width)}  ${value}`);
  return lines;
}
