/**
 * The objects browser on a bucket's page: ListObjectsV2 with Delimiter '/' so prefixes
 * show as folders, a page of PAGE_SIZE keys at a time (Next page / First page by ContinuationToken),
 * each object's encryption from a HEAD without SSE-C headers (HEAD_CONCURRENCY at a time), a
 * Download button per object (SSE-C ones ask for the key first) and the upload panel.
 */
import { useEffect, useState } from 'preact/hooks';
import { HeadObjectCommand, ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import type { Clients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { bucketHref } from '../routes.js';
import { humanSize } from '../format.js';
import { keyName } from '../kms-choices.js';
import { UploadPanel } from './upload-panel.js';
import { SseCDownloadForm } from './download-form.js';
import { startDownload, type DownloadTarget } from '../download.js';

const PAGE_SIZE = 100;
const HEAD_CONCURRENCY = 6;
/** The encryption column's text for an object whose HEAD needs its key. */
const SSE_C = 'SSE-C (key required)';

interface Listing {
  readonly folders: readonly string[];
  readonly objects: readonly _Object[];
  readonly next: string | undefined;
}

async function encryptionOf(clients: Clients, bucket: string, key: string): Promise<string> {
  try {
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const sse = head.ServerSideEncryption;
    if (sse === undefined) return 'None';
    if (sse === 'AES256') return 'SSE-S3';
    if (sse === 'aws:kms') return `SSE-KMS (${await keyName(clients, head.SSEKMSKeyId)})`;
    if (sse === 'aws:kms:dsse') return `DSSE-KMS (${await keyName(clients, head.SSEKMSKeyId)})`;
    return sse;
  } catch (err) {
    // Without the customer's key, a HEAD of an SSE-C object is refused with 400.
    if (explain(err).status === 400) return SSE_C;
    return `Unknown (${explain(err).sentence})`;
  }
}

function Breadcrumbs({ bucket, prefix }: { readonly bucket: string; readonly prefix: string }) {
  const parts = prefix.split('/').filter((p) => p !== '');
  return (
    <nav aria-label="Folder path">
      <ol class="breadcrumbs">
        <li>{prefix === '' ? <span aria-current="page">{bucket}</span> : <a href={bucketHref(bucket)}>{bucket}</a>}</li>
        {parts.map((part, i) => {
          const to = `${parts.slice(0, i + 1).join('/')}/`;
          return (
            <li key={to}>
              {i === parts.length - 1 ? <span aria-current="page">{part}</span> : <a href={bucketHref(bucket, to)}>{part}</a>}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

export function Objects({ clients, bucket, prefix }: { readonly clients: Clients; readonly bucket: string; readonly prefix: string }) {
  const [tokens, setTokens] = useState<readonly (string | undefined)[]>([undefined]);
  const [listing, setListing] = useState<Listing | undefined>();
  const [error, setError] = useState<Explained | undefined>();
  const [encryption, setEncryption] = useState<ReadonlyMap<string, string>>(new Map());
  const [reloads, setReloads] = useState(0);
  const [downloading, setDownloading] = useState<DownloadTarget | undefined>();
  const [status, setStatus] = useState('');
  const [downloadError, setDownloadError] = useState<Explained | undefined>();
  const token = tokens[tokens.length - 1];

  const download = async (o: _Object) => {
    const key = o.Key ?? '';
    const target: DownloadTarget = { bucket, key, etag: o.ETag, filename: key.slice(key.lastIndexOf('/') + 1) || 'download' };
    setStatus('');
    setDownloadError(undefined);
    if (encryption.get(key) === SSE_C) {
      setDownloading(target);
      return;
    }
    setDownloading(undefined);
    const outcome = await startDownload(clients, target);
    if ('status' in outcome) setStatus(outcome.status);
    // Asked for before its HEAD had answered, an SSE-C object is refused without its key (400).
    else if (outcome.error.status === 400 && outcome.error.code === 'InvalidRequest') setDownloading(target);
    else setDownloadError(outcome.error);
  };

  useEffect(() => {
    let live = true;
    setListing(undefined);
    setError(undefined);
    setEncryption(new Map());
    const list = new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', MaxKeys: PAGE_SIZE, ContinuationToken: token });
    clients.s3
      .send(list)
      .then(async (out) => {
        if (!live) return;
        const objects = (out.Contents ?? []).filter((o) => o.Key !== prefix);
        setListing({
          folders: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter((p) => p !== ''),
          objects,
          next: out.IsTruncated === true ? out.NextContinuationToken : undefined,
        });
        const queue = objects.map((o) => o.Key ?? '');
        const worker = async (): Promise<void> => {
          for (let key = queue.shift(); key !== undefined && live; key = queue.shift()) {
            const label = await encryptionOf(clients, bucket, key);
            if (live) setEncryption((m) => new Map(m).set(key, label));
          }
        };
        await Promise.all(Array.from({ length: HEAD_CONCURRENCY }, worker));
      })
      .catch((err: unknown) => live && setError(explain(err)));
    return () => {
      live = false;
    };
  }, [clients, bucket, prefix, token, reloads]);

  const page = tokens.length;
  const count = listing === undefined ? 0 : listing.folders.length + listing.objects.length;
  return (
    <section aria-labelledby="objects-heading">
      <h2 id="objects-heading">Objects</h2>
      <Breadcrumbs bucket={bucket} prefix={prefix} />
      <ErrorMessage error={error} />
      <p class="status" role="status" data-testid="download-status">
        {status}
      </p>
      <ErrorMessage error={downloadError} />
      {downloading !== undefined && (
        <SseCDownloadForm
          key={downloading.key}
          clients={clients}
          target={downloading}
          onDone={(done) => {
            setDownloading(undefined);
            setStatus(done);
          }}
        />
      )}
      {listing === undefined && error === undefined && <p aria-live="polite">Loading objects…</p>}
      {listing !== undefined && count === 0 && page === 1 && (
        <p data-testid="empty">{prefix === '' ? 'This bucket is empty.' : `Nothing under ${prefix}.`}</p>
      )}
      {listing !== undefined && count > 0 && (
        <>
          <p aria-live="polite" data-testid="page-count">
            Page {page}: {listing.folders.length} {listing.folders.length === 1 ? 'folder' : 'folders'} and {listing.objects.length}{' '}
            {listing.objects.length === 1 ? 'object' : 'objects'}
            {listing.next === undefined ? '' : ' (more on the next page)'}
          </p>
          <table class="buckets objects">
            <caption class="visually-hidden">Objects {prefix === '' ? `in ${bucket}` : `under ${prefix}`}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">Last modified</th>
                <th scope="col">Encryption</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listing.folders.map((f) => (
                <tr key={`folder:${f}`}>
                  <th scope="row">
                    <a href={bucketHref(bucket, f)}><span aria-hidden="true">📁 </span>
                      {f.slice(prefix.length)}</a>
                  </th>
                  <td>Folder</td>
                  <td />
                  <td />
                  <td />
                </tr>
              ))}
              {listing.objects.map((o) => {
                const key = o.Key ?? '';
                return (
                  <tr key={`object:${key}`} data-key={key}>
                    <th scope="row">{key.slice(prefix.length)}</th>
                    <td>{humanSize(o.Size)}</td>
                    <td>{o.LastModified?.toLocaleString() ?? ''}</td>
                    <td data-testid="encryption">{encryption.get(key) ?? '…'}</td>
                    <td>
                      <button type="button" aria-label={`Download ${key.slice(prefix.length)}`} onClick={() => void download(o)}>
                        Download
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      {(page > 1 || listing?.next !== undefined) && (
        <p class="pager">
          <button type="button" disabled={page === 1} onClick={() => setTokens([undefined])}>
            First page
          </button>{' '}
          <button
            type="button"
            disabled={listing?.next === undefined}
            onClick={() => listing?.next !== undefined && setTokens([...tokens, listing.next])}
          >
            Next page
          </button>
        </p>
      )}
      <UploadPanel clients={clients} bucket={bucket} prefix={prefix} onUploaded={() => setReloads((n) => n + 1)} />
    </section>
  );
}
