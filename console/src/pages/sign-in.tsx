/**
 * Sign-in: the key is checked by one signed ListBuckets call; it is kept only in this tab's
 * sessionStorage and never sent (requests carry signatures made from it).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { makeClients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import type { Session } from '../session.js';

export function SignIn({ onSignedIn }: { readonly onSignedIn: (s: Session) => void }) {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | undefined>();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const session = { accessKeyId: accessKeyId.trim(), secretAccessKey };
    setBusy(true);
    setError(undefined);
    try {
      await makeClients(session).s3.send(new ListBucketsCommand({}));
      onSignedIn(session);
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Sign in to Strongbox</h1>
      <p>Use an access key and its secret. The secret stays in this browser tab: requests carry only signatures made from it.</p>
      <form onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <label for="access-key-id">Access key ID</label>
        <input
          id="access-key-id"
          name="access-key-id"
          ref={first}
          autocomplete="username"
          spellcheck={false}
          required
          value={accessKeyId}
          onInput={(e) => setAccessKeyId(e.currentTarget.value)}
        />
        <label for="secret-access-key">Secret access key</label>
        <input
          id="secret-access-key"
          name="secret-access-key"
          type="password"
          autocomplete="current-password"
          required
          value={secretAccessKey}
          onInput={(e) => setSecretAccessKey(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorMessage error={error} />
    </main>
  );
}
