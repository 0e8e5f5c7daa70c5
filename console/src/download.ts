/**
 * Downloads stream from the server to the browser's download manager through the console's
 * service worker (src/sw.ts), so a multi-gigabyte object never sits in the page's memory. A
 * browser download cannot carry headers, and SSE-C keys must travel as headers, so the page
 * signs the GetObject request here (with the SDK, exactly as it would send it), hands the signed
 * request to the worker, and opens /_console/download/ID in a hidden frame: the worker answers
 * that with the server's response, which the signed request asked to be an attachment. The
 * worker forgets the request as soon as it has used it (or after a minute). startDownload is the
 * entry point: it turns the worker's report into a sentence for the page.
 */
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import type { Clients } from './s3.js';
import { explain, sentence, type Explained } from './errors.js';
import { sseCParams, type CustomerKey } from './customer-keys.js';

const SW_URL = '/_console/sw.js';
const SCOPE = '/_console/';

/** A signed request for the worker to send (the SSE-C key, if any, is among its headers). */
interface SignedRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the worker reports once the server has answered. */
type DownloadStart = { readonly ok: true } | { readonly ok: false; readonly status: number; readonly code: string | undefined };

/** Registers the worker at start-up where the browser allows it (secure contexts only). */
export function registerDownloadWorker(): void {
  if (!downloadsSupported()) return;
  navigator.serviceWorker.register(SW_URL, { scope: SCOPE }).catch(() => undefined);
}

const downloadsSupported = (): boolean => isSecureContext && 'serviceWorker' in navigator;

class Captured extends Error {
  constructor(
    readonly request: {
      protocol: string;
      hostname: string;
      port?: number;
      path: string;
      query: Record<string, string | string[] | null>;
      headers: Record<string, string>;
    },
  ) {
    super('captured');
  }
}

/**
 * The request the SDK would send for GetObject, signed, but not sent: a middleware at the end of
 * the stack (after signing, before the HTTP handler) takes it and stops there.
 */
async function signGetObject(s3: S3Client, input: GetObjectCommandInput): Promise<SignedRequest> {
  const stack = s3.middlewareStack.clone();
  stack.add(
    () => (args) => {
      throw new Captured(args.request as Captured['request']);
    },
    { step: 'deserialize', priority: 'low', name: 'consoleCaptureSignedRequest' },
  );
  const command = new GetObjectCommand(input);
  try {
    await command.resolveMiddleware(stack, s3.config, {})({ input: command.input });
  } catch (err) {
    if (!(err instanceof Captured)) throw err;
    const { protocol, hostname, port, path, query, headers } = err.request;
    const search = Object.entries(query)
      .flatMap(([k, v]): [string, string | null][] => (Array.isArray(v) ? (v).map((one): [string, string] => [k, one]) : [[k, v]]))
      .map(([k, v]) => (v === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join('&');
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => !['host', 'content-length'].includes(name.toLowerCase())));
    return { url: `${protocol}//${hostname}${port === undefined ? '' : `:${port}`}${path}${search === '' ? '' : `?${search}`}`, headers: forwarded };
  }
  throw new Error('The SDK sent the request instead of handing it over.');
}

/**
 * Starts the download of an object (with its SSE-C key in `input` when it has one) under the
 * file name `filename`; resolves once the server has answered, with its status.
 */
async function downloadObject(s3: S3Client, input: GetObjectCommandInput, filename: string): Promise<DownloadStart> {
  const registration = await navigator.serviceWorker.ready;
  const worker = registration.active;
  if (worker === null) throw new Error('The download worker is not running.');
  // The server marks the response as an attachment, so the worker can pass it on untouched.
  const request = await signGetObject(s3, {
    ...input,
    ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
    ResponseContentType: 'application/octet-stream',
  });
  const id = crypto.randomUUID();
  const channel = new MessageChannel();
  const answered = new Promise<DownloadStart>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The download did not start.')), 60_000);
    channel.port1.onmessage = (e: MessageEvent<{ type: string } & DownloadStart>) => {
      if (e.data.type === 'ready') return openFrame(id);
      clearTimeout(timer);
      channel.port1.close();
      resolve(e.data);
    };
  });
  worker.postMessage({ type: 'download', id, ...request }, [channel.port2]);
  return answered;
}

function openFrame(id: string): void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'download';
  frame.src = `${SCOPE}download/${id}`;
  document.body.append(frame);
  // The frame only starts the download; the browser carries on without it.
  setTimeout(() => frame.remove(), 120_000);
}

export interface DownloadTarget {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  /** The file name offered to the browser: the key's last segment. */
  readonly filename: string;
}

export type DownloadOutcome = { readonly status: string } | { readonly error: Explained };

/** Starts the download: a sentence for the status line once the server has answered, or why not. */
export async function startDownload(clients: Clients, target: DownloadTarget, key?: CustomerKey): Promise<DownloadOutcome> {
  if (!downloadsSupported()) return { error: sentence('Downloads need a secure page: open the console over HTTPS (or on localhost).') };
  try {
    const started = await downloadObject(
      clients.s3,
      {
        Bucket: target.bucket,
        Key: target.key,
        ...(target.etag === undefined ? {} : { IfMatch: target.etag }),
        ...(key === undefined ? {} : sseCParams(key)),
      },
      target.filename,
    );
    if (started.ok) return { status: `Downloading ${target.filename}: your browser saves it as it arrives.` };
    if (started.status === 412) return { error: sentence('The object changed since this page was loaded. Reload the list and try again.', started.code, 412) };
    return { error: explain({ Code: started.code, $metadata: { httpStatusCode: started.status } }) };
  } catch (err) {
    return { error: explain(err) };
  }
}
