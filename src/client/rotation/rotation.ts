/**
 * A rotation over a prefix: lists it page by page, rotates the objects with bounded
 * concurrency, records each finished one in the journal once its copy succeeded, and tallies
 * the outcomes for the final report.
 */
import type { Progress } from '../progress.js';
import { listObjects } from '../list.js';
import { forEachLimit } from '../pool.js';
import { LIST_AHEAD, readAhead } from '../read-ahead.js';
import { rotateObject, type ObjectOutcome, type OutcomeKind, type RotationPlan } from './rotate-object.js';
import { JOURNAL_OUTCOMES, type JournalOutcome, type RotationJournal } from './rotation-journal.js';

export interface RotationTally {
  /** Objects of this run, by outcome. */
  readonly counts: Record<OutcomeKind, number>;
  /** Objects the journal recorded as done by earlier runs, by outcome. */
  readonly fromJournal: Record<JournalOutcome, number>;
  /** Bytes of the objects rotated (or, with --dry-run, to rotate). */
  bytes: number;
  /** Objects rotated with a multipart copy (or to be). */
  multipart: number;
}

export interface RotationRun {
  readonly plan: RotationPlan;
  readonly prefix: string;
  readonly concurrency: number;
  /** Undefined with --dry-run. */
  readonly journal: RotationJournal | undefined;
  /** Objects the journal recorded as done: not looked at again. */
  readonly done: ReadonlyMap<string, JournalOutcome>;
  readonly progress: Progress;
  /** Told about each object once it is finished (and journaled). */
  readonly onObject: (key: string, outcome: ObjectOutcome) => void;
  /** Asked before each new object: true once the user asked the rotation to stop. */
  readonly stopping: () => boolean;
}

/** The outcomes that finish an object for good: the journal records them, a resumed run skips them. */
const JOURNALED: Readonly<Partial<Record<OutcomeKind, JournalOutcome>>> = {
  rotated: 'rotated',
  'already-rotated': 'already-rotated',
  'not-sse-c': 'not-sse-c',
  'not-opened': 'not-opened',
};

const OUTCOME_KINDS: readonly OutcomeKind[] = ['rotated', 'would-rotate', 'already-rotated', 'not-sse-c', 'not-opened', 'changed', 'gone', 'failed'];

export function newTally(done: ReadonlyMap<string, JournalOutcome>): RotationTally {
  const counts = Object.fromEntries(OUTCOME_KINDS.map((k) => [k, 0])) as Record<OutcomeKind, number>;
  const fromJournal = Object.fromEntries(JOURNAL_OUTCOMES.map((k) => [k, 0])) as Record<JournalOutcome, number>;
  for (const outcome of done.values()) fromJournal[outcome]++;
  return { counts, fromJournal, bytes: 0, multipart: 0 };
}

/**
 * Runs the rotation, adding to `tally` as objects finish. Throws when the listing or the
 * journal fails (objects in flight are finished first); an object's own failure is an outcome.
 */
export async function runRotation(run: RotationRun, tally: RotationTally): Promise<void> {
  const { plan, progress } = run;
  async function* unfinished(): AsyncGenerator<string> {
    for await (const entry of listObjects(plan.client, plan.bucket, run.prefix)) {
      if (entry.type === 'object' && !run.done.has(entry.key)) yield entry.key;
    }
  }
  async function* pending(): AsyncGenerator<string> {
    for await (const key of readAhead(unfinished(), LIST_AHEAD, () => progress.grow(1))) {
      if (run.stopping()) return;
      yield key;
    }
  }
  await forEachLimit(pending(), run.concurrency, async (key) => {
    const outcome = await rotateObject(plan, key);
    const journaled = JOURNALED[outcome.kind];
    if (journaled !== undefined && run.journal !== undefined) {
      await run.journal.record(key, journaled, outcome.kind === 'rotated' ? outcome.kmsKeyId : undefined);
    }
    tally.counts[outcome.kind]++;
    if (outcome.kind === 'rotated' || outcome.kind === 'would-rotate') {
      tally.bytes += outcome.size;
      if (outcome.multipart) tally.multipart++;
    }
    progress.add(1, key);
    run.onObject(key, outcome);
  });
}

/** Every object's outcome over all runs (journal included), as the completion line keeps it. */
export function totals(tally: RotationTally): Record<string, number> {
  const all: Record<string, number> = { ...tally.counts };
  for (const [k, n] of Object.entries(tally.fromJournal)) all[k] = (all[k] ?? 0) + n;
  return all;
}
