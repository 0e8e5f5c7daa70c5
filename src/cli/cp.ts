/** `strongbox cp SRC DST`: uploads and downloads between local files and S3, as `aws s3 cp` (issue 5). */
import { Option, type Command } from 'commander';
import { copyFiles } from '../client/transfer/copy-files.js';
import { wipeKeys, type CustomerKey } from '../client/customer-key.js';
import { Limiter } from '../client/transfer/limiter.js';
import { DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE } from '../client/transfer/part-plan.js';
import { DEFAULT_TRANSFER_CHECKSUM, TRANSFER_CHECKSUMS, parseTransferChecksum, type TransferChecksum } from '../client/transfer/transfer-checksum.js';
import { addS3Options, connect, customerKeys, intOption, progressFor, sizeOption, type S3CommandOpts } from './s3-options.js';

interface CpOpts extends S3CommandOpts {
  recursive?: boolean;
  sseC?: string;
  partSize: number;
  multipartThreshold: number;
  concurrency: number;
  checksum: TransferChecksum;
}

const MiB = 1024 * 1024;
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;
/** Exit status when files were skipped but none failed (as `aws s3 cp`'s warnings). */
const EXIT_SKIPPED = 2;
/** Exit status after Ctrl-C, as shells report SIGINT (128 + 2). */
const EXIT_INTERRUPTED = 130;

const HELP = `
SRC and DST are a local path and an s3://bucket/key URL, either way round. A DST ending in
"/" or naming an existing directory receives the file under its own name. With --recursive,
SRC is a folder (walked, following links) or an S3 prefix (listed), copied below DST.

Uploads of --multipart-threshold bytes or more go in parts of --part-size, --concurrency
requests at a time over all files; a failed multipart upload is aborted. Each part is sent
with its --checksum and the whole with the combined FULL_OBJECT checksum, so the server
verifies both.

Downloads go to DST.strongbox-download, with a journal DST.strongbox-download.json (no key
material); run the same command again after an interruption to resume. The result is
re-read and checked against the object's size and checksum before it replaces DST.

Prints one line per file ("upload: SRC to DST"), then a summary; errors go to stderr.
Ctrl-C cancels the requests in flight and aborts multipart uploads; a second one quits at once.
Exit status: 0 when everything was copied, 1 when a file failed, 2 when some were skipped,
130 after Ctrl-C.`;

/** A size option from 5MiB to 5GiB, 8MiB by default (shown as such in --help). */
function sizeFlag(flags: string, description: string): Option {
  const name = flags.split(' ')[0]!;
  return new Option(flags, description).argParser((v) => sizeOption(name, v, MIN_PART_SIZE, MAX_PART_SIZE)).default(DEFAULT_PART_SIZE, `${DEFAULT_PART_SIZE / MiB}MiB`);
}

/** `strongbox cp`. */
export function registerCp(program: Command): void {
  const cmd = program
    .command('cp')
    .description('copy files to or from S3 (Strongbox, Amazon S3 or another S3-compatible store)')
    .argument('<src>', 'local path or s3://bucket/key')
    .argument('<dst>', 'local path or s3://bucket/key')
    .option('--recursive', 'copy a folder or an S3 prefix')
    .option('--sse-c <keyref>', 'SSE-C key to encrypt uploads and read downloads with (keyring NAME, @FILE or env:VAR)')
    .addOption(sizeFlag('--part-size <size>', 'part size of multipart uploads and ranged downloads'))
    .addOption(sizeFlag('--multipart-threshold <size>', 'upload files of this size or more in parts'))
    .option('--concurrency <n>', 'requests in flight, over all files', (v) => intOption('--concurrency', v, 1, MAX_CONCURRENCY), DEFAULT_CONCURRENCY)
    .option(
      '--checksum <algorithm>',
      `checksum computed here and sent with every uploaded part and the whole: ${TRANSFER_CHECKSUMS.join(', ')} (none leaves it to the SDK's defaults and the server)`,
      parseTransferChecksum,
      DEFAULT_TRANSFER_CHECKSUM,
    )
    .addHelpText('after', HELP);
  addS3Options(cmd).action(async (src: string, dst: string, opts: CpOpts) => {
    const { client } = connect(opts, opts.concurrency);
    const keys: CustomerKey[] = opts.sseC === undefined ? [] : await customerKeys([opts.sseC], opts);
    const interrupt = new AbortController();
    const onSigint = () => {
      if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
      interrupt.abort(new Error('interrupted (Ctrl-C)'));
    };
    process.on('SIGINT', onSigint);
    try {
      const outcome = await copyFiles({ src, dst, recursive: opts.recursive === true }, client, (total) => ({
        client,
        limiter: new Limiter(opts.concurrency),
        concurrency: opts.concurrency,
        progress: progressFor(opts, 'bytes', total),
        sseKey: keys[0],
        checksum: opts.checksum,
        partSize: opts.partSize,
        multipartThreshold: opts.multipartThreshold,
        signal: interrupt.signal,
      }));
      if (outcome.interrupted) process.exitCode = EXIT_INTERRUPTED;
      else if (outcome.failed > 0) process.exitCode = 1;
      else if (outcome.skipped > 0) process.exitCode = EXIT_SKIPPED;
    } finally {
      process.off('SIGINT', onSigint);
      wipeKeys(keys);
      client.destroy();
    }
  });
}
