/**
 * Opens the KMS the server uses. PLACEHOLDER until the built-in KMS lands: every call fails.
 */
import type { MetaStore } from '../store/meta/types.js';
import type { RootKeyring } from '../crypto/root-key.js';
import { KmsError, type KeyManagementService } from './types.js';

export interface KmsOptions {
  readonly meta: MetaStore;
  readonly rootKey: RootKeyring;
  readonly region: string;
  readonly accountId: string;
  readonly now: () => Date;
}

export function openKms(_opts: KmsOptions): KeyManagementService {
  const fail = (): never => {
    throw new KmsError('KMSInternalException', 'The KMS is not available.', 500);
  };
  return { generateDataKey: async () => fail(), decrypt: async () => fail(), keyArn: async () => fail() };
}
