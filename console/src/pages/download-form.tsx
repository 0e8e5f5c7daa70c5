/**
 * Downloading one object. A plain, SSE-S3 or KMS object goes straight to the download worker; an
 * SSE-C object first asks for its key, which a HEAD with the key checks (200 opens it; 403 is
 * another key), and says which key this browser saw seal the object, if it knows.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Clients } from '../s3.js';
import { explain, sentence, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { CustomerKeyInput, type ChosenKey } from '../key-input.js';
import { describeKey, expectedFingerprint, recordObjectKey, rememberKey, sseCParams, type CustomerKey } from '../customer-keys.js';
import { downloadObject, downloadsSupported } from '../download.js';

export interface DownloadTarget {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  /** The file name offered to the browser: the key's last segment. */
  readonly filename: string;
}

export const WRONG_KEY = 'This key does not open this object.';

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

export function SseCDownloadForm({ clients, target, onDone }: { readonly clients: Clients; readonly target: DownloadTarget; readonly onDone: (status: string) => void }) {
  const [chosen, setChosen] = useState<ChosenKey | undefined>();
  const [error, setError] = useState<Explained | undefined>();
  const [busy, setBusy] = useState(false);
  const expected = expectedFingerprint(target.bucket, target.key, target.etag);
  // The form opens above the list: keyboard users land in its key field, not back in the table.
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => form.current?.querySelector<HTMLInputElement>('input[type="password"]')?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (chosen === undefined) return;
    setBusy(true);
    setError(undefined);
    const { key } = chosen;
    try {
      await clients.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, ...sseCParams(key) }));
    } catch (err) {
      const explained = explain(err);
      setBusy(false);
      if (explained.status === 403) {
        const hint = expected === undefined || expected === key.fingerprint ? '' : ` This browser saw it sealed with key ${describeKey(expected)}.`;
        setError({ ...explained, sentence: `${WRONG_KEY} (The key given has fingerprint ${key.fingerprint}.)${hint}` });
      } else if (explained.status === 400) {
        setError({ ...explained, sentence: 'This object is not encrypted with a customer-provided key: download it without one.' });
      } else setError(explained);
      return;
    }
    recordObjectKey(target.bucket, target.key, target.etag, key.fingerprint);
    if (chosen.rememberAs !== undefined) rememberKey(chosen.rememberAs, key.fingerprint);
    const outcome = await startDownload(clients, target, key);
    if ('status' in outcome) onDone(outcome.status);
    else {
      setError(outcome.error);
      setBusy(false);
    }
  };

  return (
    <form ref={form} class="download" aria-label={`Download ${target.filename} with its key`} onSubmit={(e) => void submit(e)}>
      <h3>
        Download <code>{target.key}</code>
      </h3>
      <p data-testid="expected-key">
        {expected === undefined
          ? "This object is encrypted with a customer-provided key (SSE-C). This browser has no record of which key: give the one it was uploaded with."
          : `This object is encrypted with a customer-provided key (SSE-C). This browser saw it sealed with key ${describeKey(expected)}.`}
      </p>
      <CustomerKeyInput allowGenerate={false} onChange={setChosen} />
      <ErrorMessage error={error} />
      <p class="actions">
        <button type="submit" class="primary" disabled={chosen === undefined || busy}>
          Check key and download
        </button>{' '}
        <button type="button" onClick={() => onDone('')}>
          Cancel
        </button>
      </p>
    </form>
  );
}
