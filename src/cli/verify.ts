import type { Command } from 'commander';
import { usageError } from '../client/client-error.js';
import { wipeKeys, type CustomerKey } from '../client/customer-key.js';
import { auditKeys, type AuditResult, type AuditSummary } from '../client/key-audit.js';
import type { S3Connection } from '../client/s3-client.js';
import { formatS3Url, parseS3Url } from '../client/s3-url.js';
import { addS3Options, collect, connect, customerKeys, intOption, progressFor, type S3CommandOpts } from './s3-options.js';

interface VerifyOpts extends S3CommandOpts {
  sseC: string[];
  concurrency: number;
  json?: boolean;
}

/** Exit status when some SSE-C object is opened by none of the keys (documented in the help text). */
const EXIT_UNOPENED = 2;

const HELP = `
For every object whose key starts with PREFIX (end it with / for a folder), HEAD requests tell
which of the given keys opens it, or that none does, or how it is protected if not by SSE-C.
Nothing is read or written, and keys are shown by their label (the KEYREF) and fingerprint.

Exit status:
  0  every SSE-C object under the prefix opens with one of the given keys
  1  an error: some objects could not be checked (their lines say why)
  2  some SSE-C object opens with none of the given keys (listed as NOT OPENED)

Is it safe to remove key OLD? Run verify over every bucket and prefix that may hold its objects,
with all the keys you keep except OLD: status 0 means no current object needs OLD. (In a
versioned bucket, older versions are not checked.)
`;

/** `strongbox verify` (issue 5): which of the given SSE-C keys opens each object under a prefix. */
export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('tell which of the given SSE-C keys opens each object under a prefix (HEAD requests only)')
    .argument('<s3url>', 's3://bucket[/prefix]')
    .requiredOption('--sse-c <keyref>', 'a key to try (KEYREF: keyring name, @FILE or env:VAR); repeatable', collect)
    .option('--concurrency <n>', 'objects checked at once', (v) => intOption('--concurrency', v, 1, 256), 8)
    .option('--json', 'one JSON object per line: each object, then a summary');
  addS3Options(cmd).addHelpText('after', HELP);
  cmd.action(async (url: string, opts: VerifyOpts) => {
    process.exitCode = await verify(url, opts);
  });
}

async function verify(url: string, opts: VerifyOpts): Promise<number> {
  const loc = parseS3Url(url);
  const keys = await customerKeys(opts.sseC, opts);
  let connection: S3Connection | undefined;
  try {
    for (const [i, k] of keys.entries()) {
      const twin = keys.findIndex((other) => other.md5 === k.md5);
      if (twin !== i) throw usageError(`--sse-c ${keys[twin]!.label} and --sse-c ${k.label} are the same key`);
    }
    connection = connect(opts, opts.concurrency);
    const json = opts.json === true;
    const progress = progressFor(json ? { ...opts, progress: false } : opts, 'objects', 0);
    let summary: AuditSummary;
    try {
      summary = await auditKeys({
        client: connection.client,
        bucket: loc.bucket,
        prefix: loc.key,
        keys,
        concurrency: opts.concurrency,
        progress,
        onResult: (r) => {
          const u = formatS3Url({ bucket: loc.bucket, key: r.key });
          if (json) process.stdout.write(`${JSON.stringify(resultJson(u, r))}\n`);
          else if (r.kind === 'error') progress.warn(`error: ${r.message}`);
          else progress.line(resultLine(u, r));
        },
      });
    } finally {
      progress.stop();
    }
    if (json) process.stdout.write(`${JSON.stringify({ summary: summaryJson(summary) })}\n`);
    else if (opts.quiet !== true) process.stdout.write(`${summaryLines(formatS3Url(loc), summary).join('\n')}\n`);
    if (summary.errors > 0) return 1;
    return summary.unopened > 0 ? EXIT_UNOPENED : 0;
  } finally {
    wipeKeys(keys);
    connection?.client.destroy();
  }
}

const keyName = (k: CustomerKey): string => `${k.label} (${k.short})`;

function resultLine(url: string, r: Exclude<AuditResult, { kind: 'error' }>): string {
  switch (r.kind) {
    case 'opened':
      return `opened by ${keyName(r.opener)}: ${url}`;
    case 'unopened':
      return `NOT OPENED by any given key (SSE-C): ${url}`;
    case 'not-sse-c':
      return `not SSE-C (${r.protection}): ${url}`;
    case 'gone':
      return `deleted meanwhile: ${url}`;
  }
}

function resultJson(url: string, r: AuditResult): Record<string, unknown> {
  const base = { url, key: r.key, status: r.kind };
  switch (r.kind) {
    case 'opened':
      return { ...base, protection: 'SSE-C', opener: { label: r.opener.label, fingerprint: r.opener.short } };
    case 'unopened':
      return { ...base, protection: 'SSE-C', opener: null };
    case 'not-sse-c':
      return { ...base, protection: r.protection };
    case 'gone':
      return base;
    case 'error':
      return { ...base, message: r.message };
  }
}

function summaryJson(s: AuditSummary): Record<string, unknown> {
  return {
    objects: s.objects,
    keys: [...s.opened].map(([k, n]) => ({ label: k.label, fingerprint: k.short, opens: n })),
    unopened: s.unopened,
    notSseC: Object.fromEntries(s.notSseC),
    gone: s.gone,
    errors: s.errors,
  };
}

function summaryLines(url: string, s: AuditSummary): string[] {
  const width = Math.max(30, ...[...s.opened.keys()].map((k) => keyName(k).length));
  const row = (label: string, value: string | number) => `  ${label.padEnd(width)}  ${value}`;
  const notSseC = [...s.notSseC.values()].reduce((a, b) => a + b, 0);
  const lines = [`${s.objects} objects under ${url}`];
  for (const [k, n] of s.opened) lines.push(row(keyName(k), `opens ${n}`));
  lines.push(row('SSE-C, opened by no given key', s.unopened));
  const kinds = [...s.notSseC].map(([p, n]) => `${p} ${n}`).join(', ');
  lines.push(row('not SSE-C', notSseC === 0 ? 0 : `${notSseC} (${kinds})`));
  if (s.gone > 0) lines.push(row('deleted meanwhile', s.gone));
  if (s.errors > 0) lines.push(row('errors', s.errors));
  if (s.errors > 0) lines.push('result: some objects could not be checked');
  else if (s.unopened > 0) lines.push(`result: ${s.unopened} SSE-C objects open with none of the given keys`);
  else lines.push('result: every SSE-C object opens with one of the given keys');
  return lines;
}
