/** One bucket's page: its default encryption configuration (GetBucketEncryption) and its objects. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { GetBucketEncryptionCommand, type ServerSideEncryptionRule } from '@aws-sdk/client-s3';
import type { Clients } from '../s3.js';
import { explain, type Explained } from '../errors.js';
import { ErrorMessage } from '../components.js';
import { Objects } from './objects.js';

const ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  AES256: 'SSE-S3 (AES256, keys managed by the server)',
  'aws:kms': 'SSE-KMS (aws:kms)',
  'aws:kms:dsse': 'DSSE-KMS (aws:kms:dsse, two layers)',
};

export function Bucket({ clients, name, prefix }: { readonly clients: Clients; readonly name: string; readonly prefix: string }) {
  const [rule, setRule] = useState<ServerSideEncryptionRule | undefined>();
  const [error, setError] = useState<Explained | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [name]);
  useEffect(() => {
    let live = true;
    setRule(undefined);
    setError(undefined);
    clients.s3
      .send(new GetBucketEncryptionCommand({ Bucket: name }))
      .then((out) => live && setRule(out.ServerSideEncryptionConfiguration?.Rules?.[0] ?? {}))
      .catch((err: unknown) => live && setError(explain(err)));
    return () => {
      live = false;
    };
  }, [clients, name]);

  const byDefault = rule?.ApplyServerSideEncryptionByDefault;
  const algorithm = byDefault?.SSEAlgorithm ?? 'AES256';
  const blocked = (rule?.BlockedEncryptionTypes?.EncryptionType ?? []).filter((t) => t !== 'NONE');
  return (
    <section aria-labelledby="bucket-heading">
      <p>
        <a href="#/buckets">← All buckets</a>
      </p>
      <h1 id="bucket-heading" tabIndex={-1} ref={heading}>
        Bucket <code>{name}</code>
      </h1>
      <h2>Default encryption</h2>
      <ErrorMessage error={error} />
      {rule === undefined && error === undefined && <p aria-live="polite">Loading…</p>}
      {rule !== undefined && (
        <dl class="facts" aria-label="Default encryption">
          <dt>Objects written without encryption headers get</dt>
          <dd data-testid="algorithm">{ALGORITHM_NAMES[algorithm] ?? algorithm}</dd>
          {algorithm !== 'AES256' && (
            <>
              <dt>KMS key</dt>
              <dd data-testid="kms-key">{byDefault?.KMSMasterKeyID ?? 'the default KMS key'}</dd>
              <dt>S3 Bucket Key</dt>
              <dd>{rule.BucketKeyEnabled === true ? 'enabled' : 'disabled'}</dd>
            </>
          )}
          <dt>Blocked encryption types</dt>
          <dd data-testid="blocked">
            {blocked.length === 0 ? 'none (SSE-C writes are allowed)' : `${blocked.join(', ')} (writes with customer-provided keys are refused)`}
          </dd>
        </dl>
      )}
      <Objects key={`${name}\n${prefix}`} clients={clients} bucket={name} prefix={prefix} />
    </section>
  );
}
