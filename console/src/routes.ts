/**
 * Hash routes: #/buckets, #/buckets/NAME, optionally ?prefix=P (the folder shown in the objects
 * browser), #/kms-keys (the built-in KMS's keys) and #/customer-keys (this browser's list of
 * SSE-C key fingerprints).
 */
export type Route =
  | { readonly page: 'buckets' }
  | { readonly page: 'bucket'; readonly name: string; readonly prefix: string }
  | { readonly page: 'kms-keys' }
  | { readonly page: 'customer-keys' };

export const KMS_KEYS_HREF = '#/kms-keys';
export const CUSTOMER_KEYS_HREF = '#/customer-keys';

export function parseRoute(hash: string): Route {
  if (hash === KMS_KEYS_HREF) return { page: 'kms-keys' };
  if (hash === CUSTOMER_KEYS_HREF) return { page: 'customer-keys' };
  const m = /^#\/buckets\/([^/?]+)(?:\?(.*))?$/.exec(hash);
  if (m?.[1] !== undefined) {
    try {
      return { page: 'bucket', name: decodeURIComponent(m[1]), prefix: new URLSearchParams(m[2] ?? '').get('prefix') ?? '' };
    } catch {
      return { page: 'buckets' };
    }
  }
  return { page: 'buckets' };
}

export const bucketHref = (name: string, prefix = ''): string =>
  `#/buckets/${encodeURIComponent(name)}${prefix === '' ? '' : `?${new URLSearchParams({ prefix }).toString()}`}`;
