/**
 * The built-in KMS's keys: every key (ListKeys page by page, DescribeKey each, ListAliases) with
 * its aliases, description, state and dates; disable and enable, schedule and cancel deletion,
 * add and remove aliases, and create a key (CreateKey, then CreateAlias).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { Clients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { forgetAliases, listAllAliases, listAllKeyIds } from '../kms-choices.js';

interface KeyRow {
  readonly keyId: string;
  readonly description: string;
  readonly state: string;
  readonly created: Date | undefined;
  readonly deletionDate: Date | undefined;
  /** AWS-managed keys (aws/s3) can be looked at, not changed. */
  readonly awsManaged: boolean;
  readonly aliases: readonly string[];
}

const AWS_ALIAS_PREFIX = 'alias/aws/';
const MIN_DAYS = 7;
const MAX_DAYS = 30;

/** A date as the other pages show them, in UTC and said so. */
const formatDate = (d: Date | undefined): string => (d === undefined ? '' : `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`);

/** How the page names a key in buttons and messages: its first alias, else its id. */
const nameOf = (k: KeyRow): string => k.aliases[0] ?? k.keyId;

/** `alias/` in front when the user left it out. */
const withAliasPrefix = (name: string): string => {
  const t = name.trim();
  return t.startsWith('alias/') ? t : `alias/${t}`;
};

async function loadKeys(clients: Clients): Promise<KeyRow[]> {
  const [ids, aliases] = await Promise.all([listAllKeyIds(clients), listAllAliases(clients)]);
  const rows = await Promise.all(
    ids.map(async (keyId): Promise<KeyRow> => {
      const meta = (await clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      return {
        keyId,
        description: meta?.Description ?? '',
        state: meta?.KeyState ?? 'Unknown',
        created: meta?.CreationDate,
        deletionDate: meta?.DeletionDate,
        awsManaged: meta?.KeyManager === 'AWS',
        aliases: aliases
          .filter((a) => a.TargetKeyId === keyId && a.AliasName !== undefined)
          .map((a) => a.AliasName ?? '')
          .sort(),
      };
    }),
  );
  // Oldest first, so a new key appears at the end.
  return rows.sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0) || a.keyId.localeCompare(b.keyId));
}

/** Focus an element once the next render has put it in the page. */
const focusSoon = (id: string): void => {
  setTimeout(() => document.getElementById(id)?.focus(), 0);
};

type Open = { readonly kind: 'schedule' | 'alias'; readonly keyId: string } | { readonly kind: 'remove-alias'; readonly alias: string };

export function KmsKeys({ clients }: { readonly clients: Clients }) {
  const [keys, setKeys] = useState<KeyRow[] | undefined>();
  const [error, setError] = useState<Explained | undefined>();
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState<Open | undefined>();
  const [busy, setBusy] = useState(false);
  const pending = useRef(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const refresh = useCallback(async () => {
    try {
      setKeys(await loadKeys(clients));
    } catch (err) {
      setError(explain(err));
    }
  }, [clients]);
  useEffect(() => void refresh(), [refresh]);

  /**
   * Runs one change: the status line says what happened, or the error box why not (a sentence
   * from explain(), reworded by `reword` where the page knows better); then the list is reloaded.
   */
  const act = async (run: () => Promise<string>, reword?: (e: Explained) => Explained): Promise<boolean> => {
    if (pending.current) return false;
    pending.current = true;
    setBusy(true);
    setError(undefined);
    setStatus('');
    let done: string | undefined;
    try {
      done = await run();
    } catch (err) {
      const e = explain(err);
      setError(reword === undefined ? e : reword(e));
    }
    // The status line speaks once the table shows the change.
    forgetAliases(clients);
    await refresh();
    if (done !== undefined) setStatus(done);
    pending.current = false;
    setBusy(false);
    return done !== undefined;
  };

  /** An open schedule or alias form shows the errors of its request itself, next to its fields. */
  const inlineFormOpen = open !== undefined && open.kind !== 'remove-alias';
  const show = (o: Open) => {
    setError(undefined);
    setOpen(o);
  };
  const close = (focusId?: string) => {
    if (open !== undefined && open.kind !== 'remove-alias') setError(undefined);
    setOpen(undefined);
    if (focusId !== undefined) focusSoon(focusId);
  };

  // Disable and Enable share one place in the row, so focus stays on it; it moves there anyway.
  const disable = (k: KeyRow) =>
    void act(async () => {
      await clients.kms.send(new DisableKeyCommand({ KeyId: k.keyId }));
      return `Key ${nameOf(k)} disabled: it can no longer encrypt or decrypt until it is enabled again.`;
    }).then(() => focusSoon(`enable-${k.keyId}`));
  const enable = (k: KeyRow) =>
    void act(async () => {
      await clients.kms.send(new EnableKeyCommand({ KeyId: k.keyId }));
      return `Key ${nameOf(k)} enabled.`;
    }).then(() => focusSoon(`disable-${k.keyId}`));
  const cancelDeletion = (k: KeyRow) =>
    void act(async () => {
      await clients.kms.send(new CancelKeyDeletionCommand({ KeyId: k.keyId }));
      return `Deletion of key ${nameOf(k)} cancelled. The key stays disabled (as on AWS): enable it to use it again.`;
    }).then(() => focusSoon(`enable-${k.keyId}`));
  const schedule = async (k: KeyRow, days: number) => {
    const done = await act(
      async () => {
        const out = await clients.kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.keyId, PendingWindowInDays: days }));
        return `Key ${nameOf(k)} will be deleted on ${formatDate(out.DeletionDate)}. Until then the deletion can be cancelled.`;
      },
      (e) =>
        e.code === 'ValidationException'
          ? { ...e, sentence: `The waiting period must be a whole number of days from ${MIN_DAYS} to ${MAX_DAYS}.` }
          : e,
    );
    if (done) close(`cancel-deletion-${k.keyId}`);
  };
  const addAlias = async (k: KeyRow, alias: string) => {
    const done = await act(
      async () => {
        await clients.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: k.keyId }));
        return `Alias ${alias} added to key ${k.keyId}.`;
      },
      (e) => (e.code === 'ValidationException' ? { ...e, sentence: `${alias} is not a valid alias name. ${ALIAS_RULE}` } : e),
    );
    if (done) close(`add-alias-${k.keyId}`);
  };
  const removeAlias = async (k: KeyRow, alias: string) => {
    await act(async () => {
      await clients.kms.send(new DeleteAliasCommand({ AliasName: alias }));
      return `Alias ${alias} removed from key ${k.keyId}.`;
    });
    close(`add-alias-${k.keyId}`);
  };

  return (
    <section aria-labelledby="kms-keys-heading">
      <h1 id="kms-keys-heading" tabIndex={-1} ref={heading}>
        KMS keys
      </h1>
      <p>
        The keys of the built-in KMS. Objects stored with SSE-KMS or DSSE-KMS are encrypted under one of them, and can be read only while
        their key is enabled.
      </p>
      <p class="status" role="status">
        {status}
      </p>
      {!inlineFormOpen && <ErrorMessage error={error} />}
      {keys === undefined && error === undefined && <p>Loading…</p>}
      {keys !== undefined && keys.length === 0 && <p>No KMS keys yet.</p>}
      {keys !== undefined && keys.length > 0 && (
        <table class="kms-keys" aria-busy={busy}>
          <caption class="visually-hidden">KMS keys</caption>
          <thead>
            <tr>
              <th scope="col">Aliases</th>
              <th scope="col">Key ID</th>
              <th scope="col">Description</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const name = nameOf(k);
              const formOpen = open !== undefined && open.kind !== 'remove-alias' && open.keyId === k.keyId ? open.kind : undefined;
              return [
                <tr key={k.keyId} data-key-id={k.keyId}>
                  <td>
                    {k.aliases.length === 0 && <span class="muted">none</span>}
                    <ul class="aliases">
                      {k.aliases.map((a) => (
                        <li key={a}>
                          <code>{a}</code>
                          {!k.awsManaged && !a.startsWith(AWS_ALIAS_PREFIX) && (
                            <>
                              {' '}
                              {open?.kind === 'remove-alias' && open.alias === a ? (
                                <ConfirmRemoveAlias alias={a} onConfirm={() => void removeAlias(k, a)} onCancel={() => close(`remove-alias-${a}`)} />
                              ) : (
                                <button
                                  type="button"
                                  class="small"
                                  id={`remove-alias-${a}`}
                                  aria-label={`Remove alias ${a}`}
                                  onClick={() => show({ kind: 'remove-alias', alias: a })}
                                >
                                  Remove
                                </button>
                              )}
                            </>
                          )}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <th scope="row">
                    <code>{k.keyId}</code>
                  </th>
                  <td>{k.description === '' ? <span class="muted">none</span> : k.description}</td>
                  <td data-testid="state">
                    {k.state === 'PendingDeletion' ? (
                      <>
                        Pending deletion
                        <br />
                        <span data-testid="deletion-date">deleted on {formatDate(k.deletionDate)}</span>
                      </>
                    ) : (
                      k.state
                    )}
                  </td>
                  <td>{formatDate(k.created)}</td>
                  <td>
                    <div class="actions">
                      {k.awsManaged ? (
                        <span class="muted">Managed by AWS: no changes</span>
                      ) : (
                        <>
                          {k.state === 'Enabled' ? (
                            <button type="button" id={`disable-${k.keyId}`} aria-label={`Disable key ${name}`} onClick={() => disable(k)}>
                              Disable
                            </button>
                          ) : k.state === 'Disabled' ? (
                            <button type="button" id={`enable-${k.keyId}`} aria-label={`Enable key ${name}`} onClick={() => enable(k)}>
                              Enable
                            </button>
                          ) : null}
                          {k.state === 'PendingDeletion' ? (
                            <button
                              type="button"
                              id={`cancel-deletion-${k.keyId}`}
                              aria-label={`Cancel deletion of key ${name}`}
                              onClick={() => cancelDeletion(k)}
                            >
                              Cancel deletion
                            </button>
                          ) : (
                            formOpen !== 'schedule' && (
                              <button
                                type="button"
                                class="danger-outline"
                                id={`schedule-${k.keyId}`}
                                aria-label={`Schedule deletion of key ${name}`}
                                onClick={() => show({ kind: 'schedule', keyId: k.keyId })}
                              >
                                Schedule deletion
                              </button>
                            )
                          )}
                          {k.state !== 'PendingDeletion' && formOpen !== 'alias' && (
                            <button
                              type="button"
                              id={`add-alias-${k.keyId}`}
                              aria-label={`Add an alias to key ${name}`}
                              onClick={() => show({ kind: 'alias', keyId: k.keyId })}
                            >
                              Add alias
                            </button>
                          )}
                        </>
                      )}
                    </div>
                  </td>
                </tr>,
                formOpen !== undefined && (
                  <tr key={`${k.keyId}-form`} class="kms-form-row">
                    <td colSpan={6}>
                      {formOpen === 'schedule' ? (
                        <ScheduleDeletion
                          keyRow={k}
                          error={error}
                          onSubmit={(days) => void schedule(k, days)}
                          onInvalid={(sentence) => setError({ sentence, code: undefined, status: undefined, requestId: undefined })}
                          onCancel={() => close(`schedule-${k.keyId}`)}
                        />
                      ) : (
                        <AddAlias
                          keyRow={k}
                          error={error}
                          onSubmit={(alias) => void addAlias(k, alias)}
                          onCancel={() => close(`add-alias-${k.keyId}`)}
                        />
                      )}
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      )}
      <CreateKey
        clients={clients}
        onCreated={(message) => {
          setStatus(message);
          setError(undefined);
          forgetAliases(clients);
          void refresh();
        }}
      />
    </section>
  );
}

const ALIAS_RULE = 'An alias is alias/ followed by letters, digits, slashes (/), underscores (_) and hyphens (-); alias/aws/ is reserved.';

/** Escape in an inline form or confirmation means Cancel. */
const escapeCancels = (onCancel: () => void) => (e: KeyboardEvent) => {
  if (e.key === 'Escape') {
    e.preventDefault();
    onCancel();
  }
};

function ScheduleDeletion({
  keyRow,
  error,
  onSubmit,
  onInvalid,
  onCancel,
}: {
  readonly keyRow: KeyRow;
  readonly error: Explained | undefined;
  readonly onSubmit: (days: number) => void;
  readonly onInvalid: (sentence: string) => void;
  readonly onCancel: () => void;
}) {
  const [days, setDays] = useState(String(MAX_DAYS));
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const name = nameOf(keyRow);
  const id = `waiting-${keyRow.keyId}`;
  const n = Number(days);
  const when = Number.isInteger(n) && n >= MIN_DAYS && n <= MAX_DAYS ? formatDate(new Date(Date.now() + n * 86_400_000)) : undefined;
  return (
    <form
      class="inline-form"
      aria-label={`Schedule deletion of key ${name}`}
      // The KMS checks the range itself (and the page shows its refusal in a sentence).
      noValidate
      onKeyDown={escapeCancels(onCancel)}
      onSubmit={(e) => {
        e.preventDefault();
        const value = days.trim();
        if (!/^-?\d+$/.test(value)) onInvalid(`The waiting period must be a whole number of days from ${MIN_DAYS} to ${MAX_DAYS}.`);
        else onSubmit(Number(value));
      }}
    >
      <p>
        Schedule the deletion of key <code>{name}</code>. Until the end of the waiting period the key is unusable but the deletion can be
        cancelled. <strong>After that the key is deleted for good, and every object encrypted under it can never be read again.</strong>
      </p>
      <label for={id}>
        Waiting period in days ({MIN_DAYS} to {MAX_DAYS})
      </label>
      <input
        id={id}
        ref={input}
        type="number"
        min={MIN_DAYS}
        max={MAX_DAYS}
        step={1}
        required
        aria-describedby={`${id}-hint`}
        value={days}
        onInput={(e) => setDays(e.currentTarget.value)}
      />
      <p id={`${id}-hint`} class="hint">
        {when === undefined ? `A whole number from ${MIN_DAYS} to ${MAX_DAYS}.` : `The key would be deleted on about ${when}.`}
      </p>
      <div class="buttons">
        <button type="submit" class="danger" aria-label={`Yes, schedule deletion of key ${name}`}>
          Schedule deletion
        </button>
        <button type="button" onClick={onCancel} aria-label={`Keep key ${name}`}>
          Cancel
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

function AddAlias({
  keyRow,
  error,
  onSubmit,
  onCancel,
}: {
  readonly keyRow: KeyRow;
  readonly error: Explained | undefined;
  readonly onSubmit: (alias: string) => void;
  readonly onCancel: () => void;
}) {
  const [alias, setAlias] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const name = nameOf(keyRow);
  const id = `new-alias-${keyRow.keyId}`;
  return (
    <form
      class="inline-form"
      aria-label={`Add an alias to key ${name}`}
      onKeyDown={escapeCancels(onCancel)}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(withAliasPrefix(alias));
      }}
    >
      <label for={id}>New alias for key {name}</label>
      <input
        id={id}
        ref={input}
        required
        maxLength={256}
        spellcheck={false}
        autocomplete="off"
        aria-describedby={`${id}-hint`}
        value={alias}
        onInput={(e) => setAlias(e.currentTarget.value)}
      />
      <p id={`${id}-hint`} class="hint">
        For example alias/backups (alias/ is added if you leave it out).
      </p>
      <div class="buttons">
        <button type="submit" aria-label={`Save the new alias of key ${name}`}>
          Add alias
        </button>
        <button type="button" onClick={onCancel} aria-label={`Do not add an alias to key ${name}`}>
          Cancel
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

/** The inline "are you sure" of removing an alias: focus goes to Cancel, Escape cancels. */
function ConfirmRemoveAlias({ alias, onConfirm, onCancel }: { readonly alias: string; readonly onConfirm: () => void; readonly onCancel: () => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <span class="confirm" role="group" aria-label={`Confirm removal of alias ${alias}`} onKeyDown={escapeCancels(onCancel)}>
      Remove {alias}? Buckets and programs that name the key by this alias will no longer find it.{' '}
      <button type="button" class="danger" onClick={onConfirm} aria-label={`Yes, remove alias ${alias}`}>
        Yes, remove
      </button>{' '}
      <button type="button" ref={cancel} onClick={onCancel} aria-label={`Keep alias ${alias}`}>
        Cancel
      </button>
    </span>
  );
}

function CreateKey({ clients, onCreated }: { readonly clients: Clients; readonly onCreated: (message: string) => void }) {
  const [description, setDescription] = useState('');
  const [alias, setAlias] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | undefined>();

  const submit = async (event: Event) => {
    event.preventDefault();
    const wanted = alias.trim() === '' ? undefined : withAliasPrefix(alias);
    setBusy(true);
    setError(undefined);
    let keyId: string | undefined;
    try {
      keyId = (await clients.kms.send(new CreateKeyCommand(description === '' ? {} : { Description: description }))).KeyMetadata?.KeyId;
    } catch (err) {
      setError(explain(err));
      setBusy(false);
      return;
    }
    try {
      if (wanted !== undefined && keyId !== undefined) await clients.kms.send(new CreateAliasCommand({ AliasName: wanted, TargetKeyId: keyId }));
      setDescription('');
      setAlias('');
      onCreated(wanted === undefined ? `Key ${keyId ?? ''} created.` : `Key ${keyId ?? ''} created with alias ${wanted}.`);
    } catch (err) {
      const e = explain(err);
      const why = e.code === 'ValidationException' ? `${wanted ?? ''} is not a valid alias name. ${ALIAS_RULE}` : e.sentence;
      setError({ ...e, sentence: `The key ${keyId ?? ''} was created, but without the alias ${wanted ?? ''}: ${why} Add an alias to it in the list.` });
      onCreated(`Key ${keyId ?? ''} created without an alias.`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="create" onSubmit={(e) => void submit(e)} aria-labelledby="create-key-heading" aria-busy={busy}>
      <h2 id="create-key-heading">Create a key</h2>
      <p class="hint">A symmetric encryption key (SYMMETRIC_DEFAULT), enabled at once.</p>
      <label for="new-key-description">Description (optional)</label>
      <input id="new-key-description" maxLength={8192} autocomplete="off" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      <label for="new-key-alias">Alias (optional)</label>
      <input
        id="new-key-alias"
        maxLength={256}
        spellcheck={false}
        autocomplete="off"
        aria-describedby="new-key-alias-hint"
        value={alias}
        onInput={(e) => setAlias(e.currentTarget.value)}
      />
      <p id="new-key-alias-hint" class="hint">
        For example alias/backups (alias/ is added if you leave it out).
      </p>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create key'}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
