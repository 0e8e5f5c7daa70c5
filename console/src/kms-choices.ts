/**
 * KMS keys as the console lists and names them: every key id and alias (all pages), the keys a
 * person may pick to encrypt with (enabled symmetric keys, labelled by their aliases), and a key
 * ARN shown by its alias.
 */
import { DescribeKeyCommand, ListAliasesCommand, ListKeysCommand, type AliasListEntry } from '@aws-sdk/client-kms';
import type { Clients } from './s3.js';

/** Every key id, page after page. */
export async function listAllKeyIds(clients: Clients): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const out = await clients.kms.send(new ListKeysCommand(marker === undefined ? {} : { Marker: marker }));
    for (const k of out.Keys ?? []) if (k.KeyId !== undefined) ids.push(k.KeyId);
    if (out.Truncated !== true || out.NextMarker === undefined) return ids;
    marker = out.NextMarker;
  }
}

/** Every alias, page after page. */
export async function listAllAliases(clients: Clients): Promise<AliasListEntry[]> {
  const aliases: AliasListEntry[] = [];
  let marker: string | undefined;
  for (;;) {
    const out = await clients.kms.send(new ListAliasesCommand(marker === undefined ? {} : { Marker: marker }));
    aliases.push(...(out.Aliases ?? []));
    if (out.Truncated !== true || out.NextMarker === undefined) return aliases;
    marker = out.NextMarker;
  }
}

export interface KmsKeyChoice {
  readonly keyId: string;
  readonly label: string;
}

/** Enabled KMS keys, labelled by their aliases. */
export async function listKmsKeys(clients: Clients): Promise<KmsKeyChoice[]> {
  const [keyIds, aliases] = await Promise.all([listAllKeyIds(clients), listAllAliases(clients)]);
  const choices = await Promise.all(
    keyIds.map(async (keyId): Promise<KmsKeyChoice | undefined> => {
      const meta = (await clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      if (meta?.KeyState !== 'Enabled' || meta.KeyUsage !== 'ENCRYPT_DECRYPT') return undefined;
      const names = aliases.filter((a) => a.TargetKeyId === keyId).map((a) => a.AliasName ?? '');
      return { keyId, label: names.length > 0 ? `${names.join(', ')} (${keyId})` : keyId };
    }),
  );
  return choices.filter((c): c is KmsKeyChoice => c !== undefined).sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * The KMS aliases, asked for once per signed-in session (the clients are made at sign-in, so
 * another user never sees this one's list); null when the KMS refused: keys are shown by id.
 */
const aliasLists = new WeakMap<Clients, Promise<readonly AliasListEntry[] | null>>();
function aliases(clients: Clients): Promise<readonly AliasListEntry[] | null> {
  let list = aliasLists.get(clients);
  if (list === undefined) {
    list = listAllAliases(clients).catch(() => null);
    aliasLists.set(clients, list);
  }
  return list;
}

/** Forgets the aliases asked for, after the KMS keys page changed them. */
export function forgetAliases(clients: Clients): void {
  aliasLists.delete(clients);
}

/** A key ARN (or id) as its alias where one names it, else as the key id. */
export async function keyName(clients: Clients, arn: string | undefined): Promise<string> {
  if (arn === undefined || arn === '') return 'default key';
  const id = arn.slice(arn.lastIndexOf('/') + 1);
  const alias = (await aliases(clients))?.find((a) => a.TargetKeyId === id || a.AliasArn === arn)?.AliasName;
  return alias ?? id;
}
