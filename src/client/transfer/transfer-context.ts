/** What every file of one `strongbox cp` shares: the client, the request bound, the display and the settings. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CustomerKey } from '../customer-key.js';
import type { Limiter } from './limiter.js';
import type { Progress } from '../progress.js';
import type { TransferChecksum } from './transfer-checksum.js';

export interface TransferContext {
  readonly client: S3Client;
  /** Bounds the part (and single PUT/GET) requests in flight across all files. */
  readonly limiter: Limiter;
  readonly concurrency: number;
  readonly progress: Progress;
  /** The --sse-c key, if any. */
  readonly sseKey: CustomerKey | undefined;
  readonly checksum: TransferChecksum;
  readonly partSize: number;
  /** Files of this size or more are uploaded in parts. */
  readonly multipartThreshold: number;
  /**
   * Aborted on Ctrl-C: requests in flight are cancelled and no new ones start; multipart
   * uploads are then aborted, and downloads keep their journal for a rerun.
   */
  readonly signal: AbortSignal;
}
