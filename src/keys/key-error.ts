/**
 * Errors of the key custody commands (`strongbox key …`, issue 5). Messages name the thing that
 * is wrong (a file, a variable, a share number, a keyring name) and never hold key material.
 */
export type KeyErrorCode =
  /** A KEYREF that cannot be resolved, or whose value is not a 32-byte key. */
  | 'STRONGBOX_KEYREF_INVALID'
  /** The keyring passphrase is missing, or does not open the keyring. */
  | 'STRONGBOX_KEYRING_PASSPHRASE'
  /** The keyring file is not a keyring (not JSON, unknown format, damaged content). */
  | 'STRONGBOX_KEYRING_CORRUPT'
  /** A keyring name that is invalid, missing, or already taken; or a missing keyring. */
  | 'STRONGBOX_KEYRING_NAME'
  /** A key share that is malformed, fails its checksum, or does not fit with the others. */
  | 'STRONGBOX_SHARE_INVALID';

export class KeyError extends Error {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}
