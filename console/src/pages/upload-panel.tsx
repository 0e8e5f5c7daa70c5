/**
 * Upload into the folder shown: files dropped on the panel or chosen with the file picker, with
 * the protection chosen here (the bucket's default, SSE-S3, SSE-KMS or DSSE-KMS with a key, or
 * SSE-C with a key typed, pasted, loaded or generated), a progress bar per file, and Cancel.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Clients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { CustomerKeyInput, type ChosenKey } from '../key-input.js';
import { recordObjectKey, rememberKey } from '../customer-keys.js';
import { uploadFile, type UploadEncryption } from '../upload.js';
import { listKmsKeys, type KmsKeyChoice } from '../kms-choices.js';
import { humanSize } from '../format.js';

type Mode = 'default' | 'sse-s3' | 'sse-kms' | 'dsse-kms' | 'sse-c';

const MODES: readonly (readonly [Mode, string])[] = [
  ['default', "The bucket's default encryption"],
  ['sse-s3', 'SSE-S3 (keys managed by the server)'],
  ['sse-kms', 'SSE-KMS (a KMS key)'],
  ['dsse-kms', 'DSSE-KMS (a KMS key, two layers)'],
  ['sse-c', 'SSE-C (a key you provide)'],
];

type State = 'waiting' | 'uploading' | 'done' | 'failed' | 'cancelled';

interface Item {
  readonly id: number;
  readonly file: File;
  readonly state: State;
  readonly sent: number;
  readonly error?: Explained;
}

let items = 0;

export function UploadPanel({
  clients,
  bucket,
  prefix,
  onUploaded,
}: {
  readonly clients: Clients;
  readonly bucket: string;
  readonly prefix: string;
  readonly onUploaded: () => void;
}) {
  const [queue, setQueue] = useState<readonly Item[]>([]);
  const [mode, setMode] = useState<Mode>('default');
  const [kmsKeys, setKmsKeys] = useState<readonly KmsKeyChoice[] | undefined>();
  const [kmsKey, setKmsKey] = useState('');
  const [chosenKey, setChosenKey] = useState<ChosenKey | undefined>();
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [kmsError, setKmsError] = useState<Explained | undefined>();
  const cancels = useRef(new Map<number, AbortController>());

  useEffect(() => {
    if ((mode !== 'sse-kms' && mode !== 'dsse-kms') || kmsKeys !== undefined) return;
    listKmsKeys(clients).then(setKmsKeys, (err: unknown) => setKmsError(explain(err)));
  }, [mode, clients, kmsKeys]);

  const update = (id: number, change: Partial<Item>) => setQueue((q) => q.map((i) => (i.id === id ? { ...i, ...change } : i)));
  const add = (files: FileList | null | undefined) => {
    if (files === null || files === undefined) return;
    const added = Array.from(files, (file): Item => ({ id: ++items, file, state: 'waiting', sent: 0 }));
    setQueue((q) => [...q.filter((i) => i.state !== 'done'), ...added]);
  };

  const encryption = (): UploadEncryption | undefined => {
    if (mode === 'sse-c') return chosenKey === undefined ? undefined : { mode, key: chosenKey.key };
    if (mode === 'sse-kms' || mode === 'dsse-kms') return { mode, keyId: kmsKey === '' ? undefined : kmsKey };
    return { mode };
  };
  const waiting = queue.filter((i) => i.state === 'waiting');
  const ready = encryption() !== undefined && waiting.length > 0 && !busy;

  const start = async () => {
    const chosen = encryption();
    if (chosen === undefined) return;
    setBusy(true);
    if (chosen.mode === 'sse-c' && chosenKey?.rememberAs !== undefined) rememberKey(chosenKey.rememberAs, chosen.key.fingerprint);
    for (const item of waiting) {
      const abort = new AbortController();
      cancels.current.set(item.id, abort);
      update(item.id, { state: 'uploading' });
      const key = prefix + item.file.name;
      try {
        const etag = await uploadFile(clients.s3, {
          bucket,
          key,
          file: item.file,
          encryption: chosen,
          signal: abort.signal,
          onProgress: (sent) => update(item.id, { sent }),
        });
        if (chosen.mode === 'sse-c') recordObjectKey(bucket, key, etag, chosen.key.fingerprint);
        update(item.id, { state: 'done', sent: item.file.size });
        onUploaded();
      } catch (err) {
        update(item.id, abort.signal.aborted ? { state: 'cancelled' } : { state: 'failed', error: uploadError(err, chosen) });
      } finally {
        cancels.current.delete(item.id);
      }
    }
    setBusy(false);
  };

  return (
    <section class="upload" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload</h2>
      <div
        class={dragging ? 'drop dragging' : 'drop'}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          add(e.dataTransfer?.files);
        }}
      >
        <p>Drop files here to upload them {prefix === '' ? `to ${bucket}` : `under ${prefix}`}, or</p>
        <label for="upload-files" class="button-like">
          Choose files
        </label>
        <input
          id="upload-files"
          class="visually-hidden"
          type="file"
          multiple
          onChange={(e) => {
            add(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
      </div>
      <label for="upload-mode">Encryption</label>
      <select id="upload-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as Mode)}>
        {MODES.map(([value, name]) => (
          <option key={value} value={value}>
            {name}
          </option>
        ))}
      </select>
      {(mode === 'sse-kms' || mode === 'dsse-kms') && (
        <>
          <label for="upload-kms-key">KMS key</label>
          <select id="upload-kms-key" value={kmsKey} onChange={(e) => setKmsKey(e.currentTarget.value)}>
            <option value="">The default KMS key</option>
            {(kmsKeys ?? []).map((k) => (
              <option key={k.keyId} value={k.keyId}>
                {k.label}
              </option>
            ))}
          </select>
          <ErrorMessage error={kmsError} />
        </>
      )}
      {mode === 'sse-c' && <CustomerKeyInput allowGenerate onChange={setChosenKey} />}
      {queue.length > 0 && (
        <ul class="uploads" aria-label="Files to upload">
          {queue.map((item) => (
            <li key={item.id} data-file={item.file.name}>
              <span class="name">{item.file.name}</span> <span class="size">{humanSize(item.file.size)}</span>{' '}
              <progress max={Math.max(1, item.file.size)} value={item.sent} aria-label={`Upload of ${item.file.name}`} />{' '}
              <span data-testid="upload-state">{stateText(item)}</span>
              {item.state === 'uploading' && (
                <button type="button" onClick={() => cancels.current.get(item.id)?.abort()} aria-label={`Cancel upload of ${item.file.name}`}>
                  Cancel
                </button>
              )}
              {item.state === 'waiting' && !busy && (
                <button type="button" onClick={() => setQueue((q) => q.filter((i) => i.id !== item.id))} aria-label={`Remove ${item.file.name}`}>
                  Remove
                </button>
              )}
              {item.error !== undefined && <ErrorMessage error={item.error} />}
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="primary" disabled={!ready} onClick={() => void start()}>
        {waiting.length > 1 ? `Upload ${waiting.length} files` : 'Upload'}
      </button>
      {mode === 'sse-c' && chosenKey === undefined && waiting.length > 0 && <p class="hint">Choose the key first.</p>}
    </section>
  );
}

/** A refused SSE-C write is most often the bucket's SSE-C block, which a bare "not allowed" hides. */
function uploadError(err: unknown, encryption: UploadEncryption): Explained {
  const explained = explain(err);
  if (encryption.mode !== 'sse-c' || explained.status !== 403 || explained.code !== 'AccessDenied') return explained;
  return {
    ...explained,
    sentence:
      'The server refused an upload with a customer-provided key. This bucket may block SSE-C (see its default encryption above), or a policy forbids it.',
  };
}

function stateText(item: Item): string {
  switch (item.state) {
    case 'waiting':
      return 'Waiting';
    case 'uploading':
      return `${Math.floor((100 * item.sent) / Math.max(1, item.file.size))} %`;
    case 'done':
      return 'Uploaded';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled: nothing was stored';
  }
}
