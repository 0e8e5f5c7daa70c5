/**
 * Key shares (Shamir secret sharing, issue 5). A share is one line of text:
 *
 *   sbshare1-<k>-<set>-<share>-<check>
 *
 * `k` is the threshold (decimal), `set` 8 hex digits drawn at random per split (so shares of
 * different splits are not mixed), `share` the 33 bytes shamir-secret-sharing returns for a
 * 32-byte key (the last byte is the share's x coordinate) as 66 hex digits, and `check` the first
 * 4 bytes of the SHA-256 of everything before it, as 8 hex digits, so a mistyped share is caught
 * before combining. Reading is case-insensitive. Changing this layout breaks stored shares: a
 * new layout gets a new prefix.
 *
 * With fewer than k shares the library still returns 32 bytes, just the wrong ones; the
 * threshold carried in each share is what lets combine refuse instead.
 */
import { createHash, randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { KeyError } from './key-error.js';
import { KEY_BYTES } from './keyref.js';

export const SHARE_PREFIX = 'sbshare1';
const SHARE_BYTES = KEY_BYTES + 1;
const SHARE_RE = /^sbshare1-(\d{1,3})-([0-9a-f]{8})-([0-9a-f]+)-([0-9a-f]{8})$/;

export interface KeyShare {
  readonly threshold: number;
  readonly set: string;
  /** The share bytes as the library wants them (last byte: x coordinate). */
  readonly bytes: Buffer;
}

const checksum = (body: string): string => createHash('sha256').update(body).digest('hex').slice(0, 8);

export function formatShare(share: KeyShare): string {
  const body = `${SHARE_PREFIX}-${share.threshold}-${share.set}-${share.bytes.toString('hex')}`;
  return `${body}-${checksum(body)}`;
}

/** Parses one share; `label` names it in errors ("share 2", "share file x.txt"). */
export function parseShare(text: string, label: string): KeyShare {
  const t = text.trim().toLowerCase();
  const bad = (why: string) => new KeyError('STRONGBOX_SHARE_INVALID', `${label} ${why}`);
  if (!t.startsWith(`${SHARE_PREFIX}-`)) throw bad(`is not a Strongbox key share (it should start with ${SHARE_PREFIX}-)`);
  const m = SHARE_RE.exec(t);
  if (m === null) throw bad('is malformed: expected sbshare1-<threshold>-<8 hex>-<66 hex>-<8 hex>');
  const [, k, set, hex, check] = m as unknown as [string, string, string, string, string];
  if (checksum(t.slice(0, t.length - 9)) !== check) throw bad('fails its checksum: it was mistyped or damaged');
  const threshold = Number(k);
  if (threshold < 2 || threshold > 255) throw bad(`has an impossible threshold ${threshold}`);
  if (hex.length !== SHARE_BYTES * 2) throw bad(`has ${hex.length / 2} share bytes, expected ${SHARE_BYTES}`);
  return { threshold, set, bytes: Buffer.from(hex, 'hex') };
}

/** Splits a 32-byte key into `shares` shares, any `threshold` of which rebuild it. */
export async function splitKey(key: Buffer, shares: number, threshold: number): Promise<string[]> {
  if (key.length !== KEY_BYTES) throw new KeyError('STRONGBOX_KEYREF_INVALID', 'a key is 32 bytes');
  const int = (n: number) => Number.isSafeInteger(n);
  if (!int(shares) || !int(threshold) || threshold < 2 || threshold > shares || shares > 255) {
    throw new KeyError('STRONGBOX_SHARE_INVALID', 'need whole numbers with 2 <= threshold <= shares <= 255');
  }
  const set = randomBytes(4).toString('hex');
  const parts = await split(new Uint8Array(key), shares, threshold);
  return parts.map((p) => {
    const bytes = Buffer.from(p);
    p.fill(0);
    try {
      return formatShare({ threshold, set, bytes });
    } finally {
      bytes.fill(0);
    }
  });
}

/**
 * Rebuilds the key from parsed shares (labels name them in errors): refuses shares of different
 * splits, repeated shares, and fewer than the threshold.
 */
export async function combineShares(shares: readonly { share: KeyShare; label: string }[]): Promise<Buffer> {
  const first = shares[0];
  if (first === undefined) throw new KeyError('STRONGBOX_SHARE_INVALID', 'no shares given');
  const seen = new Map<number, string>();
  for (const { share, label } of shares) {
    if (share.set !== first.share.set || share.threshold !== first.share.threshold) {
      throw new KeyError('STRONGBOX_SHARE_INVALID', `${label} comes from another split than ${first.label}`);
    }
    const x = share.bytes[SHARE_BYTES - 1] ?? 0;
    const dup = seen.get(x);
    if (dup !== undefined) throw new KeyError('STRONGBOX_SHARE_INVALID', `${label} is the same share as ${dup}`);
    seen.set(x, label);
  }
  const k = first.share.threshold;
  if (shares.length < k) {
    throw new KeyError('STRONGBOX_SHARE_INVALID', `${shares.length} share${shares.length === 1 ? '' : 's'} given, but this key needs ${k}: with fewer the result would be a wrong key`);
  }
  const secret = await combine(shares.map((s) => new Uint8Array(s.share.bytes)));
  const key = Buffer.from(secret);
  secret.fill(0);
  return key;
}
