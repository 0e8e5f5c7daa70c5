import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { usageError } from '../client/client-error.js';
import { wipeKeys } from '../client/customer-key.js';
import { MAX_COPY_OBJECT_SIZE, MAX_PART_SIZE, MIN_PART_SIZE } from '../client/rotation/in-place-copy.js';
import type { S3Connection } from '../client/s3-client.js';
import type { RotationPlan } from '../client/rotation/rotate-object.js';
import { newTally, runRotation, totals, type RotationTally } from '../client/rotation/rotation.js';
import { RotationJournal, defaultJournalName, type CompletionRecord, type JournalOutcome, type JournalState, type RotationIdentity } from '../client/rotation/rotation-journal.js';
import { countsText, outcomeLine, reportLines, type ReportContext } from '../client/rotation/rotation-report.js';
import { describeTarget, kmsKeyIdOf, targetId, type RotationTarget } from '../client/rotation/rotation-target.js';
import { formatS3Url, parseS3Url } from '../client/s3-url.js';
import { addS3Options, connect, customerKeys, intOption, progressFor, sizeOption, type S3CommandOpts } from './s3-options.js';

interface RotateOpts extends S3CommandOpts {
  from: string;
  to: string;
  concurrency: number;
  journal?: string;
  dryRun?: boolean;
  multipartThreshold: number;
  multipartChunksize: number;
}

/** Exit statuses beyond 0 and 1 (documented in the help text). */
const EXIT_NEITHER_KEY = 2;
const EXIT_INTERRUPTED = 130;

const HELP = `
Every object whose key starts with PREFIX (end it with / for a folder) is looked at with HEAD:
  opened by --from         rotated: CopyObject onto itself, the old key as copy source and the new
                           key (or SSE-KMS) as destination, metadata kept, on condition that its
                           ETag is still the one HEAD saw (an object written meanwhile is reported
                           as changed and left for a re-run)
  opened by --to           already rotated (by an earlier run), skipped
  SSE-C under another key  left alone, reported as "not opened by FROM or TO"
  not SSE-C                skipped (SSE-S3, SSE-KMS, unencrypted)
Objects over 5 GiB are copied in parts (CreateMultipartUpload + UploadPartCopy) with their
metadata, content headers, storage class and tags. The bytes never pass through this machine: on
Amazon S3 and other servers the copy is made server-side; on Strongbox a copy that changes only
the SSE-C key re-seals the object's data key, without reading or rewriting its bytes.
--to kms:KEYID (a key id, key ARN or alias/NAME) converts SSE-C objects to SSE-KMS.

The journal (default ./strongbox-rotate-<hash of endpoint, bucket, prefix and keys>.jsonl) records
each finished object after its copy succeeded; it names the rotation by key fingerprints, never
keys. Run the same command again after an interruption (Ctrl-C, a crash, kill -9) to resume; the
objects in flight then are found by HEAD. A journal of another rotation is refused. When the
rotation completes, the journal is kept with a completion line: running the same command again
prints its result and does nothing (remove the journal to rotate objects written since).
--dry-run lists and HEADs only: it changes nothing and writes no journal.

Exit status:
  0    every object under the prefix is now under the new key, or is not SSE-C
  1    some objects failed or changed meanwhile (run again to retry them), or an error stopped it
  2    nothing failed, but some SSE-C objects are under neither key (listed; left alone)
  130  interrupted: run the same command again to resume

Notes: in a versioned bucket a rotation writes new versions; older versions stay under the old
key. Object ACLs are not copied (as with any CopyObject). Use \`strongbox verify\` before
removing the old key.
`;

/** `strongbox rotate` (issue 5): re-keys the SSE-C objects under a prefix, resumably. */
export function registerRotate(program: Command): void {
  const cmd = program
    .command('rotate')
    .description('move the SSE-C objects under a prefix from one key to another (or to SSE-KMS) with in-place copies')
    .argument('<s3url>', 's3://bucket[/prefix]')
    .requiredOption('--from <keyref>', 'the key the objects are under now (KEYREF: keyring name, @FILE or env:VAR)')
    .requiredOption('--to <keyref>', 'the new key (KEYREF), or kms:KEYID to convert the objects to SSE-KMS')
    .option('--concurrency <n>', 'objects rotated at once', (v) => intOption('--concurrency', v, 1, 256), 4)
    .option('--journal <file>', 'the journal file (default ./strongbox-rotate-<hash>.jsonl)')
    .option('--dry-run', 'report what would be rotated; change nothing, write no journal')
    .addOption(
      new Option('--multipart-threshold <size>', 'objects larger than this are copied in parts')
        .argParser((v) => sizeOption('--multipart-threshold', v, MIN_PART_SIZE, MAX_COPY_OBJECT_SIZE))
        .default(MAX_COPY_OBJECT_SIZE)
        .hideHelp(),
    )
    .addOption(
      new Option('--multipart-chunksize <size>', 'part size of a multipart copy')
        .argParser((v) => sizeOption('--multipart-chunksize', v, MIN_PART_SIZE, MAX_PART_SIZE))
        .default(256 * 1024 ** 2)
        .hideHelp(),
    );
  addS3Options(cmd).addHelpText('after', HELP);
  cmd.action(async (url: string, opts: RotateOpts) => {
    process.exitCode = await rotate(url, opts);
  });
}

/** How reports name the rotation: labels and fingerprints only. */
interface Names {
  readonly url: string;
  readonly from: string;
  readonly to: string;
  /** "OLD or NEW": whose objects are left alone. */
  readonly neither: string;
}

async function rotate(url: string, opts: RotateOpts): Promise<number> {
  const loc = parseS3Url(url);
  const kmsKeyId = kmsKeyIdOf(opts.to);
  const keys = await customerKeys(kmsKeyId === undefined ? [opts.from, opts.to] : [opts.from], opts);
  let connection: S3Connection | undefined;
  let journal: RotationJournal | undefined;
  try {
    // Part copies of large objects add a few connections per object.
    connection = connect(opts, opts.concurrency * 4);
    const from = keys[0]!;
    const to: RotationTarget = kmsKeyId === undefined ? { kind: 'sse-c', key: keys[1]! } : { kind: 'kms', keyId: kmsKeyId };
    if (to.kind === 'sse-c' && to.key.md5 === from.md5) throw usageError('--from and --to are the same key');
    const names: Names = {
      url: formatS3Url(loc),
      from: `${from.label} (${from.short})`,
      to: describeTarget(to),
      neither: to.kind === 'sse-c' ? `${from.label} or ${to.key.label}` : from.label,
    };
    let resumed: JournalState | undefined;
    if (opts.dryRun !== true) {
      const identity: RotationIdentity = {
        endpoint: connection.endpoint?.replace(/\/+$/, '') ?? null,
        bucket: loc.bucket,
        prefix: loc.key,
        from: from.short,
        to: targetId(to),
      };
      const labels = { from: from.label, to: to.kind === 'sse-c' ? to.key.label : to.keyId };
      ({ journal, resumed } = await RotationJournal.open(resolve(opts.journal ?? defaultJournalName(identity)), identity, labels, new Date()));
      if (resumed?.completion !== undefined) return alreadyComplete(opts, names, journal.path, resumed.completion);
    }
    const plan: RotationPlan = {
      client: connection.client,
      bucket: loc.bucket,
      from,
      to,
      dryRun: opts.dryRun === true,
      multipartThreshold: opts.multipartThreshold,
      partSize: opts.multipartChunksize,
      kmsKeyIds: new Set(resumed?.kmsKeyIds),
    };
    return await execute(opts, plan, loc.key, names, journal, resumed?.done ?? new Map());
  } finally {
    await journal?.close();
    wipeKeys(keys);
    connection?.client.destroy();
  }
}

/** A completed journal: the rotation has nothing left to do; its result is shown again. */
function alreadyComplete(opts: RotateOpts, names: Names, path: string, c: CompletionRecord): number {
  if (opts.quiet !== true) {
    process.stdout.write(
      `rotation of ${names.url} from ${names.from} to ${names.to} already complete (${c.completed}): ${countsText(c.counts, names.neither)}\n` +
        `nothing to do; remove ${path} to rotate objects written since\n`,
    );
  }
  return (c.counts['not-opened'] ?? 0) > 0 ? EXIT_NEITHER_KEY : 0;
}

/** Runs the rotation with a progress bar, the first Ctrl-C stopping it gently; returns the exit status. */
async function execute(
  opts: RotateOpts,
  plan: RotationPlan,
  prefix: string,
  names: Names,
  journal: RotationJournal | undefined,
  done: ReadonlyMap<string, JournalOutcome>,
): Promise<number> {
  const tally = newTally(done);
  const progress = progressFor(opts, 'objects', 0);
  if (done.size > 0) progress.line(`resuming: ${done.size} objects already done (journal ${journal?.path})`);
  let stopping = false;
  const onSignal = () => {
    // A second Ctrl-C quits at once; the journal and HEAD checks make that safe too.
    if (stopping) process.exit(EXIT_INTERRUPTED);
    stopping = true;
    progress.warn('stopping after the objects in flight (Ctrl-C again to quit now); run the same command again to resume');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  let fatal: { err: unknown } | undefined;
  try {
    await runRotation(
      {
        plan,
        prefix,
        concurrency: opts.concurrency,
        journal,
        done,
        progress,
        stopping: () => stopping,
        onObject: (key, outcome) => {
          const line = outcomeLine(formatS3Url({ bucket: plan.bucket, key }), outcome, names.neither);
          if (line.warn) progress.warn(line.text);
          else progress.line(line.text);
        },
      },
      tally,
    );
  } catch (err) {
    fatal = { err };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
  }

  const unfinished = tally.counts.failed + tally.counts.changed;
  const complete = fatal === undefined && !stopping && unfinished === 0 && journal !== undefined;
  if (complete) await journal.complete({ completed: new Date().toISOString(), counts: totals(tally) });
  const status = statusOf(opts, fatal !== undefined, stopping, unfinished, complete);
  report(opts, tally, { ...names, status, elapsedMs: Date.now() - started, journal: journal === undefined ? undefined : `${journal.path}${complete ? ' (complete)' : ''}` });
  if (fatal !== undefined) throw fatal.err;
  if (stopping) return EXIT_INTERRUPTED;
  if (unfinished > 0) return 1;
  return tally.counts['not-opened'] + tally.fromJournal['not-opened'] > 0 ? EXIT_NEITHER_KEY : 0;
}

function statusOf(opts: RotateOpts, fatal: boolean, stopped: boolean, unfinished: number, complete: boolean): string {
  if (fatal) return 'stopped by an error';
  if (stopped) return 'interrupted: run the same command again to resume';
  if (unfinished > 0) return `incomplete: run the same command again to retry ${unfinished} objects`;
  if (opts.dryRun === true) return 'dry run, nothing changed';
  return complete ? 'complete' : 'done';
}

/** The final report, on stdout once the progress bar is gone (not with --quiet). */
function report(opts: RotateOpts, tally: RotationTally, ctx: ReportContext): void {
  if (opts.quiet !== true) process.stdout.write(`${reportLines(tally, ctx).join('\n')}\n`);
}
