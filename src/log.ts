import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a log object. Strongbox never logs bodies;
 * this is the second line of defence for headers and secrets that reach a log call.
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-amz-security-token"]',
  'headers["x-amz-server-side-encryption-customer-key"]',
  'headers["x-amz-copy-source-server-side-encryption-customer-key"]',
  'headers["x-amz-server-side-encryption-customer-key-md5"]',
  'headers["x-amz-copy-source-server-side-encryption-customer-key-md5"]',
  'query["X-Amz-Signature"]',
  'query["X-Amz-Credential"]',
  'secretAccessKey',
  '*.secretAccessKey',
  'secretKey',
  '*.secretKey',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { svc: 'strongbox' } },
    destination as pino.DestinationStream | undefined,
  );
}
