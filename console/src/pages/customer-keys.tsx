/**
 * This browser's list of SSE-C keys: names and fingerprints only (never a key), so that the
 * console can say which key an object expects and name a key when one is given. Added from a
 * fingerprint (as `strongbox key fingerprint` or `strongbox key list` print it) or from the key
 * itself, whose fingerprint is computed in the page and the key then dropped.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { forgetKey, knownKeys, rememberKey, type KnownKey } from '../customer-keys.js';
import { CustomerKeyInput, type ChosenKey } from '../key-input.js';

const FINGERPRINT = /^[0-9a-f]{4}(?:-[0-9a-f]{4}){3}$/;

export function CustomerKeys() {
  const [keys, setKeys] = useState<readonly KnownKey[]>(knownKeys);
  const [name, setName] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  const [fromKey, setFromKey] = useState<ChosenKey | undefined>();
  const [keyName, setKeyName] = useState('');
  const [keyInput, setKeyInput] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const add = (label: string, fp: string) => {
    rememberKey(label, fp);
    setKeys(knownKeys());
    setStatus(`Added ${label.trim() || 'unnamed key'} (${fp}).`);
  };
  const addFingerprint = (e: Event) => {
    e.preventDefault();
    const fp = fingerprint.trim().toLowerCase();
    if (!FINGERPRINT.test(fp)) {
      setProblem('A fingerprint is four groups of four hex digits, such as ab12-cd34-ef56-7890.');
      return;
    }
    setProblem(undefined);
    add(name, fp);
    setName('');
    setFingerprint('');
  };
  const addFromKey = (e: Event) => {
    e.preventDefault();
    if (fromKey === undefined) return;
    add(keyName, fromKey.key.fingerprint);
    setKeyName('');
    setKeyInput((n) => n + 1);
  };

  return (
    <section aria-labelledby="customer-keys-heading">
      <h1 id="customer-keys-heading" tabIndex={-1} ref={heading}>
        Customer keys in this browser
      </h1>
      <p>
        Names and fingerprints of your SSE-C keys, kept in this browser only, so the console can tell you which key an object expects. The keys
        themselves are never kept: not here, and not on the server.
      </p>
      <p class="status" role="status">
        {status}
      </p>
      {keys.length === 0 ? (
        <p data-testid="no-keys">No keys are listed yet.</p>
      ) : (
        <table class="buckets">
          <caption class="visually-hidden">Customer keys in this browser</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.fingerprint} data-fingerprint={k.fingerprint}>
                <th scope="row">{k.label}</th>
                <td>
                  <code>{k.fingerprint}</code>
                </td>
                <td>
                  <button
                    type="button"
                    aria-label={`Remove ${k.label} from this list`}
                    onClick={() => {
                      forgetKey(k.fingerprint);
                      setKeys(knownKeys());
                      setStatus(`Removed ${k.label} from this list (the key itself is not affected).`);
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="create" aria-labelledby="add-fingerprint-heading" onSubmit={addFingerprint}>
        <h2 id="add-fingerprint-heading">Add a fingerprint</h2>
        <p class="hint">As printed by strongbox key fingerprint or strongbox key list.</p>
        <label for="fp-name">Name</label>
        <input id="fp-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="fp-value">Fingerprint</label>
        <input
          id="fp-value"
          value={fingerprint}
          placeholder="ab12-cd34-ef56-7890"
          spellcheck={false}
          autoComplete="off"
          onInput={(e) => setFingerprint(e.currentTarget.value)}
        />
        {problem !== undefined && (
          <p class="problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit">Add fingerprint</button>
      </form>
      <form class="create" aria-labelledby="add-key-heading" onSubmit={addFromKey}>
        <h2 id="add-key-heading">Add from a key</h2>
        <p class="hint">The fingerprint is computed in this page; the key is then forgotten.</p>
        <CustomerKeyInput key={keyInput} allowGenerate={false} offerRemember={false} onChange={setFromKey} />
        <label for="key-name">Name</label>
        <input id="key-name" value={keyName} onInput={(e) => setKeyName(e.currentTarget.value)} />
        <button type="submit" disabled={fromKey === undefined}>
          Add key's fingerprint
        </button>
      </form>
    </section>
  );
}
