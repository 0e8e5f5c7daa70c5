/**
 * The form for downloading an SSE-C object: it asks for the key, checks it with a HEAD (200 opens
 * the object; 403 is another key), and says which key this browser saw seal the object, if it
 * knows. Other objects go to startDownload directly.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Clients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { CustomerKeyInput, type ChosenKey } from '../key-input.js';
import { describeKey, expectedFingerprint, recordObjectKey, rememberKey, sseCParams } from '../customer-keys.js';
import { startDownload, type DownloadTarget } from '../download.js';

const WRONG_KEY = 'This key does not open this object.';

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
