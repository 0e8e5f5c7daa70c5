import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Payload } from '../auth/types.js';
import type { MetaStore, UserRecord, BucketRecord } from '../store/meta/types.js';
import type { BlobStore } from '../store/blob/types.js';
import type { RootKeyring } from '../crypto/root-key.js';
import type { KeyManagementService } from '../kms/types.js';
import type { Requester } from './requester.js';

export interface Stores {
  readonly meta: MetaStore;
  readonly blobs: BlobStore;
}

/** Everything a handler may use. Handlers never see sockets, signatures or files. */
export interface RequestContext {
  readonly reqId: string;
  readonly log: Logger;
  readonly config: Config;
  readonly stores: Stores;
  /** The server's root key (SSE-S3); handlers pass it on to the encryption layer only. */
  readonly rootKey: RootKeyring;
  /** The KMS behind SSE-KMS and DSSE-KMS; handlers pass it on to the encryption layer only. */
  readonly kms: KeyManagementService;
  readonly op: string;
  readonly method: string;
  readonly bucketName: string | undefined;
  readonly key: string | undefined;
  /** The bucket record, when the route names a bucket that exists. */
  readonly bucket: BucketRecord | undefined;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The signer; for an anonymous request a bucket policy let in, ANONYMOUS_USER (authorize.ts). */
  readonly user: UserRecord;
  /** Who sent the request and how, for authorizing a second resource (a copy source, each key of DeleteObjects). */
  readonly requester: Requester;
  readonly payload: Payload;
  /** True when the client reached us over TLS. */
  readonly secure: boolean;
  readonly now: () => Date;
}

export type ResponseHeaders = Record<string, string | number | undefined>;

export interface S3Response {
  readonly status: number;
  readonly headers?: ResponseHeaders;
  /** XML text, a buffer, or a stream (sent with backpressure). */
  readonly body?: string | Buffer | Readable;
}

export type Handler = (ctx: RequestContext) => Promise<S3Response>;

/** A context whose route names an existing bucket (checked by the pipeline). */
export type BucketContext = RequestContext & { readonly bucket: BucketRecord; readonly bucketName: string };
export type ObjectContext = BucketContext & { readonly key: string };
