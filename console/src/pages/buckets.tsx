/**
 * The bucket list: create (with a default encryption and an optional SSE-C block), open, and
 * delete an empty bucket after confirming.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  type Bucket as BucketSummary,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { Clients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { bucketHref } from '../routes.js';
import { listKmsKeys, type KmsKeyChoice } from '../kms-choices.js';

export function Buckets({ clients }: { readonly clients: Clients }) {
  const [buckets, setBuckets] = useState<BucketSummary[] | undefined>();
  const [error, setError] = useState<Explained | undefined>();
  const [status, setStatus] = useState('');
  const [confirming, setConfirming] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const refresh = useCallback(async () => {
    try {
      const out = await clients.s3.send(new ListBucketsCommand({}));
      setBuckets(out.Buckets ?? []);
    } catch (err) {
      setError(explain(err));
    }
  }, [clients]);
  useEffect(() => void refresh(), [refresh]);

  const remove = async (name: string) => {
    setError(undefined);
    try {
      await clients.s3.send(new DeleteBucketCommand({ Bucket: name }));
      setConfirming(undefined);
      setStatus(`Bucket ${name} deleted.`);
      await refresh();
    } catch (err) {
      setConfirming(undefined);
      setError(explain(err));
    }
  };

  return (
    <section aria-labelledby="buckets-heading">
      <h1 id="buckets-heading" tabIndex={-1} ref={heading}>
        Buckets
      </h1>
      <p class="status" role="status">
        {status}
      </p>
      <ErrorMessage error={error} />
      {buckets === undefined && error === undefined && <p>Loading…</p>}
      {buckets !== undefined && buckets.length === 0 && <p>No buckets yet.</p>}
      {buckets !== undefined && buckets.length > 0 && (
        <table class="buckets">
          <caption class="visually-hidden">Your buckets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((b) => {
              const name = b.Name ?? '';
              return (
                <tr key={name}>
                  <td>
                    <a href={bucketHref(name)}>{name}</a>
                  </td>
                  <td>{b.CreationDate?.toISOString().replace('T', ' ').slice(0, 19) ?? ''}</td>
                  <td>
                    {confirming === name ? (
                      <ConfirmDelete name={name} onConfirm={() => void remove(name)} onCancel={() => setConfirming(undefined)} />
                    ) : (
                      <button type="button" onClick={() => setConfirming(name)} aria-label={`Delete bucket ${name}`}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <CreateBucket
        clients={clients}
        onCreated={(name) => {
          setStatus(`Bucket ${name} created.`);
          setError(undefined);
          void refresh();
        }}
      />
    </section>
  );
}

/** The inline "are you sure" of a deletion: focus goes to Cancel (the safe choice), Escape cancels. */
function ConfirmDelete({ name, onConfirm, onCancel }: { readonly name: string; readonly onConfirm: () => void; readonly onCancel: () => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <span class="confirm" role="group" aria-label={`Confirm deletion of ${name}`} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      Delete {name}? This cannot be undone.{' '}
      <button type="button" class="danger" onClick={onConfirm} aria-label={`Yes, delete bucket ${name}`}>
        Yes, delete
      </button>{' '}
      <button type="button" ref={cancel} onClick={onCancel} aria-label={`Keep bucket ${name}`}>
        Cancel
      </button>
    </span>
  );
}

type Mode = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

function CreateBucket({ clients, onCreated }: { readonly clients: Clients; readonly onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [mode, setMode] = useState<Mode>('AES256');
  const [keyId, setKeyId] = useState('');
  const [blockSseC, setBlockSseC] = useState(false);
  const [keys, setKeys] = useState<KmsKeyChoice[] | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | undefined>();
  const usesKms = mode !== 'AES256';

  useEffect(() => {
    if (!usesKms || keys !== undefined) return;
    listKmsKeys(clients)
      .then((k) => {
        setKeys(k);
        if (k[0] !== undefined) setKeyId((current) => (current === '' ? k[0]!.keyId : current));
      })
      .catch((err: unknown) => {
        setKeys([]);
        setError(explain(err));
      });
  }, [clients, usesKms, keys]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const bucket = name.trim();
    setBusy(true);
    setError(undefined);
    try {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      setError(explain(err));
      setBusy(false);
      return;
    }
    try {
      await clients.s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: {
                  SSEAlgorithm: mode as ServerSideEncryption,
                  ...(usesKms && keyId !== '' ? { KMSMasterKeyID: keyId } : {}),
                },
                ...(blockSseC ? { BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } } : {}),
              },
            ],
          },
        }),
      );
      // A fresh form for the next bucket: nothing carried over by surprise.
      setName('');
      setMode('AES256');
      setBlockSseC(false);
      onCreated(bucket);
    } catch (err) {
      const e = explain(err);
      setError({ ...e, sentence: `The bucket ${bucket} was created, but its default encryption could not be set: ${e.sentence}` });
      onCreated(bucket);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="create" onSubmit={(e) => void submit(e)} aria-labelledby="create-heading" aria-busy={busy}>
      <h2 id="create-heading">Create a bucket</h2>
      <label for="bucket-name">Bucket name</label>
      <input
        id="bucket-name"
        required
        minLength={3}
        maxLength={63}
        spellcheck={false}
        autocomplete="off"
        aria-describedby="bucket-name-hint"
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <p id="bucket-name-hint" class="hint">
        3 to 63 lowercase letters, digits, dots and hyphens.
      </p>
      <label for="default-encryption">Default encryption</label>
      <select id="default-encryption" value={mode} onChange={(e) => setMode(e.currentTarget.value as Mode)}>
        <option value="AES256">SSE-S3 (keys managed by the server)</option>
        <option value="aws:kms">SSE-KMS (a key of the built-in KMS)</option>
        <option value="aws:kms:dsse">DSSE-KMS (two layers, a key of the built-in KMS)</option>
      </select>
      {usesKms && (
        <>
          <label for="kms-key">KMS key</label>
          <select id="kms-key" value={keyId} onChange={(e) => setKeyId(e.currentTarget.value)} disabled={keys === undefined}>
            {keys === undefined && <option value="">Loading keys…</option>}
            {keys !== undefined && keys.length === 0 && <option value="">No enabled keys: the KMS default key</option>}
            {keys?.map((k) => (
              <option key={k.keyId} value={k.keyId}>
                {k.label}
              </option>
            ))}
          </select>
        </>
      )}
      <div class="check">
        <input id="block-sse-c" type="checkbox" checked={blockSseC} onChange={(e) => setBlockSseC(e.currentTarget.checked)} />
        <label for="block-sse-c">Block SSE-C (refuse writes with customer-provided keys)</label>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create bucket'}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
