/** `strongbox ls`: buckets, or objects with how each is protected and which SSE-C key opens it (issue 5). */
import type { Command } from 'commander';
import { wipeKeys } from '../client/customer-key.js';
import { listBuckets, listWithProtection } from '../client/list-protection.js';
import { parseS3Url } from '../client/s3-url.js';
import { addS3Options, collect, connect, customerKeys, intOption, type S3CommandOpts } from './s3-options.js';

interface LsOpts extends S3CommandOpts {
  recursive?: boolean;
  sseC?: string[];
  concurrency: number;
}

const DEFAULT_CONCURRENCY = 8;
const MAX_CONCURRENCY = 64;

const HELP = `
Without an argument, lists the buckets: DATE<TAB>NAME.

With s3://bucket[/prefix], one tab-separated line per object:
  DATE        last modified, UTC (2026-01-02T03:04:05Z)
  SIZE        bytes
  PROTECTION  none, SSE-S3, SSE-KMS <key id>, DSSE-KMS <key id> or SSE-C
  KEY         for SSE-C: "key: LABEL" (the --sse-c key that opens it), "key: none of the
              given keys", or "key: ?" when no key was given; "-" otherwise
  NAME        the key below the prefix's folder, or the whole key with --recursive
Without --recursive, folders below the prefix are lines with PRE in the PROTECTION column
and their name in NAME (the other columns empty). Each object is probed with HEAD requests
(--concurrency at a time); lines come in key order. An object that cannot be probed shows
"?" and the error, which also goes to stderr, and the exit status is 1.`;

/** `strongbox ls`. */
export function registerLs(program: Command): void {
  const cmd = program
    .command('ls')
    .description('list buckets, or objects with their encryption and which SSE-C key opens them')
    .argument('[s3url]', 's3://bucket[/prefix]')
    .option('--recursive', 'list every object below the prefix, not just one folder level')
    .option('--sse-c <keyref>', 'an SSE-C key to try on SSE-C objects (repeatable: keyring NAME, @FILE or env:VAR)', collect)
    .option('--concurrency <n>', 'HEAD probes in flight', (v) => intOption('--concurrency', v, 1, MAX_CONCURRENCY), DEFAULT_CONCURRENCY)
    .addHelpText('after', HELP);
  addS3Options(cmd).action(async (url: string | undefined, opts: LsOpts) => {
    const out = { line: (t: string) => process.stdout.write(`${t}\n`), warn: (t: string) => process.stderr.write(`${t}\n`) };
    const loc = url === undefined ? undefined : parseS3Url(url);
    const { client } = connect(opts, opts.concurrency);
    const keys = await customerKeys(opts.sseC ?? [], opts);
    try {
      if (loc === undefined) await listBuckets(client, out);
      else if ((await listWithProtection(client, loc, { recursive: opts.recursive === true, keys, concurrency: opts.concurrency }, out)) > 0) process.exitCode = 1;
    } finally {
      wipeKeys(keys);
      client.destroy();
    }
  });
}
