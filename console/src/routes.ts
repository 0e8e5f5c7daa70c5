/** Hash routes: #/buckets and #/buckets/NAME, optionally ?prefix=P (the folder shown in the objects browser). */
export type Route = { readonly page: 'buckets' } | { readonly page: 'bucket'; readonly name: string; readonly prefix: string };

export function parseRoute(hash: string): Route {
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
