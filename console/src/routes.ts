/** Hash routes: #/buckets and #/buckets/NAME. */
export type Route = { readonly page: 'buckets' } | { readonly page: 'bucket'; readonly name: string };

export function parseRoute(hash: string): Route {
  const m = /^#\/buckets\/([^/]+)$/.exec(hash);
  if (m?.[1] !== undefined) {
    try {
      return { page: 'bucket', name: decodeURIComponent(m[1]) };
    } catch {
      return { page: 'buckets' };
    }
  }
  return { page: 'buckets' };
}

export const bucketHref = (name: string): string => `#/buckets/${encodeURIComponent(name)}`;
