/**
 * Where a person gives an SSE-C key: typed or pasted, loaded from a file, or (for uploads)
 * generated in the page. The key is reported to the parent only once it is usable: a generated
 * key only after its owner has downloaded it and said so, since nobody can recover it later.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  canFingerprint,
  customerKey,
  describeKey,
  generateKey,
  KeyFormatError,
  labelOf,
  parseKeyText,
  readKeyFile,
  toBase64,
  type CustomerKey,
} from './customer-keys.js';

export interface ChosenKey {
  readonly key: CustomerKey;
  /** A label to remember the key's fingerprint under in this browser, if asked. */
  readonly rememberAs: string | undefined;
}

type Source = 'generate' | 'text' | 'file';

let inputs = 0;

export function CustomerKeyInput({
  allowGenerate,
  offerRemember = true,
  onChange,
}: {
  readonly allowGenerate: boolean;
  /** Whether to offer to remember the key's fingerprint (not where the page is that list). */
  readonly offerRemember?: boolean;
  readonly onChange: (chosen: ChosenKey | undefined) => void;
}) {
  const [id] = useState(() => `key-input-${++inputs}`);
  const [source, setSource] = useState<Source>(allowGenerate ? 'generate' : 'text');
  const [key, setKey] = useState<CustomerKey | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [text, setText] = useState('');
  const [saved, setSaved] = useState(false);
  const [downloaded, setDownloaded] = useState(false);
  const [remember, setRemember] = useState(false);
  const [label, setLabel] = useState('');

  const usable = key !== undefined && (source !== 'generate' || saved);
  useEffect(() => {
    onChange(usable ? { key, rememberAs: remember ? label : undefined } : undefined);
  }, [usable, key, remember, label]);

  const choose = (next: Source) => {
    setSource(next);
    setKey(undefined);
    setProblem(undefined);
    setText('');
    setSaved(false);
    setDownloaded(false);
  };
  const accept = async (read: () => Uint8Array | Promise<Uint8Array>) => {
    setKey(undefined);
    try {
      setKey(await customerKey(await read()));
      setProblem(undefined);
    } catch (err) {
      setProblem(err instanceof KeyFormatError ? err.message : 'This key could not be read.');
    }
  };
  const downloadKey = () => {
    if (key === undefined) return;
    const url = URL.createObjectURL(new Blob([`${toBase64(key.bytes)}\n`], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `strongbox-key-${key.fingerprint}.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setDownloaded(true);
  };

  if (!canFingerprint()) {
    return <p class="error">Customer-provided keys need a secure page: open the console over HTTPS (or on localhost).</p>;
  }
  const known = key === undefined ? undefined : labelOf(key.fingerprint);
  return (
    <fieldset class="key-input">
      <legend>Customer-provided key (SSE-C)</legend>
      <p class="hint">The key stays in this page for these requests only. Strongbox never stores it: without it, nobody can read the object.</p>
      <div role="radiogroup" aria-label="Where the key comes from" class="choices">
        {allowGenerate && (
          <label class="check">
            <input type="radio" name={`${id}-source`} checked={source === 'generate'} onChange={() => choose('generate')} />
            Generate a new key
          </label>
        )}
        <label class="check">
          <input type="radio" name={`${id}-source`} checked={source === 'text'} onChange={() => choose('text')} />
          Type or paste a key
        </label>
        <label class="check">
          <input type="radio" name={`${id}-source`} checked={source === 'file'} onChange={() => choose('file')} />
          Load a key file
        </label>
      </div>
      {source === 'generate' && key === undefined && (
        <button type="button" onClick={() => void accept(generateKey)}>
          Generate key
        </button>
      )}
      {source === 'text' && (
        <>
          <label for={`${id}-text`}>Key (64 hex digits, 44 base64 characters, or 32 characters)</label>
          <input
            id={`${id}-text`}
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={text}
            onInput={(e) => {
              const value = e.currentTarget.value;
              setText(value);
              if (value.trim() === '') {
                setKey(undefined);
                setProblem(undefined);
              } else void accept(() => parseKeyText(value));
            }}
          />
        </>
      )}
      {source === 'file' && (
        <>
          <label for={`${id}-file`}>Key file (32 bytes, or the key as hex or base64)</label>
          <input
            id={`${id}-file`}
            type="file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file !== undefined) void accept(() => readKeyFile(file));
            }}
          />
        </>
      )}
      {problem !== undefined && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {key !== undefined && (
        <p data-testid="key-fingerprint">
          Key fingerprint: <code>{key.fingerprint}</code>
          {known === undefined ? '' : ` — ${describeKey(key.fingerprint)} in this browser's key list`}
        </p>
      )}
      {source === 'generate' && key !== undefined && (
        <div class="save-key" role="group" aria-label="Save the new key">
          <p>
            <strong>Download this key and keep it safe before uploading.</strong> Strongbox does not keep it: if it is lost, the objects
            uploaded with it can never be read again.
          </p>
          <button type="button" onClick={downloadKey}>
            Download key file
          </button>
          <label class="check">
            <input type="checkbox" checked={saved} disabled={!downloaded} onChange={(e) => setSaved(e.currentTarget.checked)} />I have
            saved this key somewhere safe
          </label>
        </div>
      )}
      {key !== undefined && offerRemember && (
        <div class="remember">
          <label class="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
            Remember this key's fingerprint in this browser (not the key)
          </label>
          {remember && (
            <>
              <label for={`${id}-label`}>Name for this key</label>
              <input id={`${id}-label`} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
            </>
          )}
        </div>
      )}
    </fieldset>
  );
}
