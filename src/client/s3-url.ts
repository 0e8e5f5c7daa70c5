/** `s3://bucket/key` arguments, as the AWS CLI spells them. */
import { usageError } from './client-error.js';

export interface S3Location {
  readonly bucket: string;
  /** The key or prefix; '' for the whole bucket. */
  readonly key: string;
}

export const isS3Url = (arg: string): boolean => arg.startsWith('s3://');

export function parseS3Url(arg: string): S3Location {
  if (!isS3Url(arg)) throw usageError(`"${arg}" is not an S3 URL: expected s3://bucket/key`);
  const rest = arg.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw usageError(`"${arg}" names no bucket: expected s3://bucket/key`);
  return { bucket, key };
}

export const formatS3Url = (loc: S3Location): string => `s3://${loc.bucket}/${loc.key}`;
