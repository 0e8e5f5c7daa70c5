/**
 * Keys derived from a passphrase, for files sealed by one (the root key file, the SSE-C
 * keyring): scrypt with the cost stored beside the salt, so a file keeps opening after the
 * default cost changes.
 */
import { scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { KEY_SIZE } from './envelope.js';

export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The cost of newly sealed files: about 100 ms and 32 MiB per open on this machine. */
export const SCRYPT_COST: ScryptCost = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

// A damaged or hostile file must not make us allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/** Whether a stored cost is one scrypt can run within reason. */
export function isSaneScryptCost(c: { N?: unknown; r?: unknown; p?: unknown }): c is ScryptCost {
  const int = (n: unknown, min: number, max: number): n is number => Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;
  return int(c.N, 2, MAX_N) && (c.N & (c.N - 1)) === 0 && int(c.r, 1, MAX_R) && int(c.p, 1, MAX_P);
}

/** The 32-byte key scrypt derives from `passphrase` and `salt` at `cost`; the caller wipes it. */
export function passphraseKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const opts: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(passphrase, salt, KEY_SIZE, opts, (err, key) => (err ? reject(err) : resolve(key))));
}
