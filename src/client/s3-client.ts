/**
 * The S3 client behind `strongbox cp / ls / verify / rotate`: the AWS SDK with its standard
 * credential chain (environment, shared config and credentials files, SSO, instance roles), so
 * the commands work against Amazon S3 and any S3-compatible endpoint as well as Strongbox.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { usageError } from './client-error.js';

export interface ConnectionOptions {
  /** Endpoint URL; default $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, then Amazon S3. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** A profile of the shared config files (default $AWS_PROFILE, then "default"). */
  readonly profile?: string | undefined;
  /** PEM file of CAs to trust for HTTPS (default $AWS_CA_BUNDLE). */
  readonly caBundle?: string | undefined;
  /** false disables certificate checks (--no-verify-ssl), as the AWS CLI allows. */
  readonly verifySsl?: boolean | undefined;
  /** Bucket in the path (default for a custom endpoint) or in the host name (default for Amazon). */
  readonly addressingStyle?: 'path' | 'virtual' | undefined;
  /** Sockets per endpoint; at least the command's concurrency. */
  readonly maxSockets?: number | undefined;
}

export interface S3Connection {
  readonly client: S3Client;
  /** The endpoint requests go to, for messages; undefined for Amazon S3. */
  readonly endpoint: string | undefined;
}

/**
 * The SDK logs nothing by default, except one console warning when a request with a stream
 * body fails ("non-retryable streaming request"): `cp` retries those itself with a fresh
 * stream and reports what still fails, so this logger keeps the SDK silent throughout.
 */
const SILENT_LOGGER = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export function createS3Client(opts: ConnectionOptions, env: NodeJS.ProcessEnv): S3Connection {
  const endpoint = opts.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) throw usageError(`endpoint "${endpoint}" is not an http:// or https:// URL`);
  const caFile = opts.caBundle ?? env.AWS_CA_BUNDLE;
  let ca: Buffer | undefined;
  if (caFile !== undefined && caFile !== '') {
    try {
      ca = readFileSync(caFile);
    } catch {
      throw usageError(`CA bundle ${caFile} cannot be read`);
    }
  }
  const httpsAgent = new Agent({
    keepAlive: true,
    maxSockets: Math.max(opts.maxSockets ?? 0, 50),
    ...(ca === undefined ? {} : { ca }),
    ...(opts.verifySsl === false ? { rejectUnauthorized: false } : {}),
  });
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: Math.max(opts.maxSockets ?? 0, 50) });
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const client = new S3Client({
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    forcePathStyle: (opts.addressingStyle ?? (endpoint === undefined ? 'virtual' : 'path')) === 'path',
    requestHandler: { httpAgent, httpsAgent },
    logger: SILENT_LOGGER,
  });
  return { client, endpoint };
}
