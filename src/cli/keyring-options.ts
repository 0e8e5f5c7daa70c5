/**
 * The keyring as every command that takes a KEYREF sees it: where it is (`--keyring`,
 * $STRONGBOX_KEYRING, ~/.config/strongbox/keyring.json), how its passphrase is asked for, and
 * how a KEYREF is turned into a key (the keyring is opened only when the reference is a name).
 */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { KeyError } from '../keys/key-error.js';
import { resolveKeyRef } from '../keys/keyref.js';
import { Keyring } from '../keys/keyring.js';
import { isInteractive, readHidden } from '../keys/terminal.js';

export interface KeyringOpts {
  keyring?: string;
}

export const KEYRING_FLAGS = '--keyring <file>';
export const KEYRING_HELP = 'keyring file (default $STRONGBOX_KEYRING or ~/.config/strongbox/keyring.json)';

/** Adds `--keyring FILE` to a command. */
export const addKeyringOption = (cmd: Command): Command => cmd.option(KEYRING_FLAGS, KEYRING_HELP);

function keyringPath(opts: KeyringOpts): string {
  return resolve(opts.keyring ?? process.env.STRONGBOX_KEYRING ?? join(homedir(), '.config', 'strongbox', 'keyring.json'));
}

async function passphrase(creating: boolean): Promise<string> {
  const fromEnv = process.env.STRONGBOX_KEYRING_PASSPHRASE;
  if (fromEnv !== undefined) return fromEnv;
  if (!isInteractive()) {
    throw new KeyError('STRONGBOX_KEYRING_PASSPHRASE', 'the keyring needs a passphrase: set STRONGBOX_KEYRING_PASSPHRASE or run on a terminal');
  }
  const phrase = await readHidden(creating ? 'New keyring passphrase: ' : 'Keyring passphrase: ');
  if (creating && (await readHidden('Repeat the passphrase: ')) !== phrase) {
    throw new KeyError('STRONGBOX_KEYRING_PASSPHRASE', 'the passphrases differ');
  }
  return phrase;
}

/** Opens the keyring for one command and wipes it afterwards. */
export async function withKeyring<T>(opts: KeyringOpts, create: boolean, fn: (ring: Keyring) => Promise<T>): Promise<T> {
  const ring = await Keyring.open(keyringPath(opts), passphrase, { create });
  try {
    return await fn(ring);
  } finally {
    ring.wipe();
  }
}

/** Resolves a KEYREF, opening the keyring only when the reference is a name. */
export async function keyFromRef(ref: string, opts: KeyringOpts, ring?: Keyring): Promise<Buffer> {
  return resolveKeyRef(ref, {
    env: process.env,
    lookup: async (name) => (ring === undefined ? withKeyring(opts, false, async (r) => r.get(name)) : ring.get(name)),
  });
}

/**
 * Resolves several KEYREFs, opening the keyring at most once (one passphrase prompt however
 * many names are given). Keys come back in the order of the references; wipe them when done.
 */
export async function keysFromRefs(refs: readonly string[], opts: KeyringOpts): Promise<Buffer[]> {
  const needsKeyring = refs.some((r) => !r.startsWith('@') && !r.startsWith('env:'));
  if (!needsKeyring) return Promise.all(refs.map((r) => keyFromRef(r, opts)));
  return withKeyring(opts, false, async (ring) => {
    const keys: Buffer[] = [];
    for (const r of refs) keys.push(await keyFromRef(r, opts, ring));
    return keys;
  });
}
