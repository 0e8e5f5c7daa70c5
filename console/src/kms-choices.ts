/**
 * KMS keys as the console names them: the keys a person may pick to encrypt with (enabled
 * symmetric keys, labelled by their aliases), and a key ARN shown by its alias.
 */
import { DescribeKeyCommand, ListAliasesCommand, ListKeysCommand, type AliasListEntry } from '@aws-sdk/client-kms';
import type { Clients } from './s3.js';

export interface KmsKeyChoice {
  readonly keyId: string;
  readonly label: string;
}

/** Enabled KMS keys, labelled by their aliases. */
export async function listKmsKeys(clients: Clients): Promise<KmsKeyChoice[]> {
  const [keys, aliases] = await Promise.all([clients.kms.send(new ListKeysCommand({})), clients.kms.send(new ListAliasesCommand({}))]);
  const choices = await Promise.all(
    (keys.Keys ?? []).map(async (k): Promise<KmsKeyChoice | undefined> => {
      if (k.KeyId === undefined) return undefined;
      const meta = (await clients.kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata;
      if (meta?.KeyState !== 'Enabled' || meta.KeyUsage !== 'ENCRYPT_DECRYPT') return undefined;
      const names = (aliases.Aliases ?? []).filter((a) => a.TargetKeyId === k.KeyId).map((a) => a.AliasName ?? '');
      return { keyId: k.KeyId, label: names.length > 0 ? `${names.join(', ')} (${k.KeyId})` : k.KeyId };
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
    list = clients.kms.send(new ListAliasesCommand({})).then(
      (out) => out.Aliases ?? [],
      () => null,
    );
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
