/**
 * The web console's static files (issue 6): GET/HEAD under /_console/ from dist/console, the
 * single-page app Vite builds at install. No authentication: the assets are public and every
 * data call the page makes is an ordinary signed S3 or KMS request. Bucket names cannot
 * contain `_`, so the prefix never shadows a bucket.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { virtualHostedBucket } from '../server/router.js';

export const CONSOLE_PREFIX = '/_console';

/** dist/src/console/serve-console.js → dist/console/ (Vite's outDir). */
const DEFAULT_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Vite names files under assets/ by content hash: they never change under one name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * True for /_console and everything below it (not /_consoleX) on the server's own host. On a
 * virtual-hosted bucket's host (`<bucket>.<domain>`) the same path is an object key and stays S3's.
 */
export function isConsoleRequest(rawPath: string, host: string | undefined, domain: string | undefined): boolean {
  if (rawPath !== CONSOLE_PREFIX && !rawPath.startsWith(`${CONSOLE_PREFIX}/`)) return false;
  return virtualHostedBucket(host, domain) === undefined;
}

/** Answers a request for which isConsoleRequest holds. */
export async function serveConsole(method: string, rawPath: string, res: ServerResponse, root = DEFAULT_ROOT): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return plain(res, method, 405, 'Method not allowed: the console serves GET and HEAD only.\n');
  }
  if (rawPath === CONSOLE_PREFIX) {
    res.statusCode = 302;
    res.setHeader('location', `${CONSOLE_PREFIX}/`);
    res.setHeader('content-length', 0);
    res.end();
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(rawPath.slice(CONSOLE_PREFIX.length + 1));
  } catch {
    return plain(res, method, 400, 'Bad request: the path is not valid percent-encoding.\n');
  }
  // Refuse traversal outright (.. segments, backslashes, NUL) rather than resolving it away.
  const segments = relative.split('/');
  if (relative.includes('\\') || relative.includes('\0') || segments.some((s) => s === '..' || s === '.')) {
    return plain(res, method, 404, 'Not found.\n');
  }
  const index = resolve(root, 'index.html');
  if (!(await isFile(index))) {
    return plain(res, method, 404, 'The web console was not built: run `npm run build` (Vite writes it to dist/console).\n');
  }
  let file = relative === '' ? index : resolve(root, relative);
  if (file !== index && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return plain(res, method, 404, 'Not found.\n');
  if (!(await isFile(file))) {
    // Client-side routes (no extension) get the app; a missing asset is a 404.
    if (extname(relative) !== '') return plain(res, method, 404, 'Not found.\n');
    file = index;
  }
  const isIndex = file === index;
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const { size } = await stat(file);
  res.statusCode = 200;
  res.setHeader('content-type', type);
  res.setHeader('content-length', size);
  res.setHeader('cache-control', !isIndex && relative.startsWith('assets/') ? IMMUTABLE : 'no-cache');
  if (method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file), res);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function plain(res: ServerResponse, method: string, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(method === 'HEAD' ? undefined : text);
}
