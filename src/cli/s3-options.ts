/**
 * Options shared by the commands that talk to S3 (`cp`, `ls`, `verify`, `rotate`): where to
 * connect, how much to print, and the SSE-C keys given as KEYREFs.
 */
import type { Command } from 'commander';
import { customerKey, type CustomerKey } from '../client/customer-key.js';
import { usageError } from '../client/client-error.js';
import { createProgress, type Progress, type ProgressUnit } from '../client/progress.js';
import { createS3Client, type S3Connection } from '../client/s3-client.js';
import { addKeyringOption, keysFromRefs, type KeyringOpts } from './keyring-options.js';

export interface S3CommandOpts extends KeyringOpts {
  endpoint?: string;
  region?: string;
  profile?: string;
  caBundle?: string;
  /** false with --no-verify-ssl. */
  verifySsl: boolean;
  addressingStyle?: string;
  quiet?: boolean;
  /** false with --no-progress. */
  progress: boolean;
}

/** --endpoint, --region, --profile, --ca-bundle, --no-verify-ssl, --addressing-style, --quiet, --no-progress, --keyring. */
export function addS3Options(cmd: Command): Command {
  cmd
    .option('--endpoint <url>', 'S3 endpoint (default $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, then Amazon S3)')
    .option('--region <region>', 'region (default $AWS_REGION, $AWS_DEFAULT_REGION, then us-east-1)')
    .option('--profile <name>', 'profile of the AWS shared config and credentials files')
    .option('--ca-bundle <file>', 'PEM file of CAs to trust for HTTPS (default $AWS_CA_BUNDLE)')
    .option('--no-verify-ssl', 'do not check the server certificate')
    .option('--addressing-style <style>', 'path or virtual (default path with --endpoint, virtual for Amazon)')
    .option('--quiet', 'print only errors')
    .option('--no-progress', 'no progress bar (there is none either when stderr is not a terminal)');
  return addKeyringOption(cmd);
}

export function connect(opts: S3CommandOpts, maxSockets: number): S3Connection {
  // Strongbox runs on Node 20 by choice (DESIGN.md); the SDK's notice that its 2027 releases
  // need Node 22 would otherwise open every command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const style = opts.addressingStyle;
  if (style !== undefined && style !== 'path' && style !== 'virtual') throw usageError(`--addressing-style must be path or virtual, not "${style}"`);
  return createS3Client(
    { endpoint: opts.endpoint, region: opts.region, profile: opts.profile, caBundle: opts.caBundle, verifySsl: opts.verifySsl, addressingStyle: style, maxSockets },
    process.env,
  );
}

/** A progress display as the options ask: a bar only on a terminal, nothing but errors with --quiet. */
export function progressFor(opts: S3CommandOpts, unit: ProgressUnit, total: number): Progress {
  const bar = opts.progress && opts.quiet !== true && process.stderr.isTTY;
  return createProgress({ unit, total, bar, quiet: opts.quiet === true });
}

/** Resolves KEYREFs (one keyring prompt at most); each key is labelled with its reference. */
export async function customerKeys(refs: readonly string[], opts: KeyringOpts): Promise<CustomerKey[]> {
  const keys = await keysFromRefs(refs, opts);
  return keys.map((k, i) => customerKey(refs[i]!, k));
}

/** Collects a repeatable option (`--sse-c A --sse-c B`). */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A whole number from `min` to `max` for option `name`. */
export function intOption(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usageError(`${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "8MiB", "16m", "5242880" → bytes (binary units, as the AWS CLI's multipart_chunksize). */
export function sizeOption(name: string, value: string, min: number, max: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m === null ? undefined : SIZE_UNITS[m[2]!.toLowerCase()];
  const n = m === null || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usageError(`${name} must be a size from ${min} to ${max} bytes (e.g. 8MiB), not "${value}"`);
  return n;
}
