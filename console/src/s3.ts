/**
 * The console's only way to the server: the AWS SDK clients, signing every request in the
 * page with the session's key, against the origin that served the page (S3 path style, and
 * the KMS JSON API on the same endpoint). The console has no powers an S3 client lacks.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { KMSClient } from '@aws-sdk/client-kms';
import type { Session } from './session.js';

export interface Clients {
  readonly s3: S3Client;
  readonly kms: KMSClient;
}

const REGION = 'us-east-1';

export function makeClients(session: Session): Clients {
  const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey };
  return {
    s3: new S3Client({ region: REGION, endpoint: location.origin, forcePathStyle: true, credentials, maxAttempts: 2 }),
    kms: new KMSClient({ region: REGION, endpoint: location.origin, credentials, maxAttempts: 2 }),
  };
}
