/**
 * Reference servers for `npm run bench` (run as child processes so their CPU is read from /proc
 * exactly like Strongbox's, and so they never share the load generator's event loop):
 *
 *   ceiling  the transport ceiling: a bare node:http(s) server that discards PUT bodies and
 *            streams GET bodies from memory (1 MiB slices of one preallocated buffer).
 *   floor    the least any S3 server must do: PUT streams the body to a temporary file while
 *            computing its MD5 (the ETag) on the event loop, then fdatasync and rename to a file
 *            named from the hash of the URL path; GET streams that file from disk; HEAD stats
 *            it; LIST (GET with `list-type` in the query) is a readdir (first 1000 names)
 *            rendered as a small XML body.
 *
 * Both ignore authentication. Usage:
 *   node dist/bench/reference-servers.js ceiling|floor --port 0 --dir D [--tls-cert F --tls-key F]
 * and each prints `<kind> is serving on http(s)://127.0.0.1:PORT` once listening.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import * as fs from 'node:fs';
import { rename, stat, readdir, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Args {
  kind: 'ceiling' | 'floor';
  port: number;
  host: string;
  dir: string;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const kind = argv[0];
  if (kind !== 'ceiling' && kind !== 'floor') {
    throw new Error('usage: reference-servers.js ceiling|floor --port N --dir D [--tls-cert F --tls-key F]');
  }
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = opt('--dir');
  if (kind === 'floor' && dir === undefined) throw new Error('floor needs --dir');
  return {
    kind,
    port: Number(opt('--port') ?? '0'),
    host: opt('--host') ?? '127.0.0.1',
    dir: dir ?? '.',
    tlsCert: opt('--tls-cert'),
    tlsKey: opt('--tls-key'),
  };
}

/** `/bucket` (no key) is a bucket-level request; `/bucket/key…` an object request. */
function isObjectPath(path: string): boolean {
  return path.indexOf('/', 1) > 0 && path.indexOf('/', 1) < path.length - 1;
}

function splitUrl(url: string | undefined): { path: string; query: string } {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}

function reply(res: http.ServerResponse, status: number, body = '', headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function listBody(names: readonly string[]): string {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>'];
  for (const n of names) parts.push(`<Contents><Key>${n}</Key></Contents>`);
  parts.push('</ListBucketResult>');
  return parts.join('');
}

const openFile = promisify(fs.open);
const fdatasync = promisify(fs.fdatasync);
const closeFd = promisify(fs.close);

const SLICE = 1024 * 1024;

/** Stream `size` bytes of `buf` (repeated) to res in 1 MiB writes, honouring backpressure. */
function streamFromMemory(res: http.ServerResponse, buf: Buffer, size: number): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < size) {
      const n = Math.min(SLICE, size - sent, buf.length);
      sent += n;
      if (!res.write(buf.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function ceiling(): Handler {
  const sizes = new Map<string, number>();
  const memory = Buffer.alloc(SLICE, 0x61);
  // Same shape as the floor's LIST answer, prebuilt: 1000 names of 32 hex digits.
  const list = listBody(Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(32, '0')));
  return (req, res) => {
    const { path, query } = splitUrl(req.url);
    const method = req.method ?? 'GET';
    if (method === 'PUT') {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => {
        if (isObjectPath(path)) sizes.set(path, n);
        reply(res, 200, '', { etag: '"00000000000000000000000000000000"' });
      });
      return;
    }
    req.resume();
    if (method === 'GET' && query.includes('list-type')) return reply(res, 200, list, { 'content-type': 'application/xml' });
    const size = sizes.get(path);
    if (size === undefined) return reply(res, 404);
    if (method === 'HEAD') {
      res.writeHead(200, { 'content-length': size, etag: '"00000000000000000000000000000000"' });
      return void res.end();
    }
    if (method === 'GET') {
      res.writeHead(200, { 'content-length': size, etag: '"00000000000000000000000000000000"' });
      return streamFromMemory(res, memory, size);
    }
    reply(res, 405);
  };
}

function floor(dir: string): Handler {
  let seq = 0;
  const fileFor = (path: string): string => join(dir, createHash('sha256').update(path).digest('hex').slice(0, 32));
  // ETags live in memory only: cheaper than any durable metadata a real server must keep.
  const etags = new Map<string, string>();

  const put = async (req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> => {
    if (!isObjectPath(path)) {
      req.resume();
      return reply(res, 200);
    }
    const tmp = join(dir, `.tmp-${process.pid}-${seq++}`);
    const md5 = createHash('md5');
    const fd = await openFile(tmp, 'w');
    let closed = false;
    const ws: WriteStream = createWriteStream(tmp, { fd, autoClose: false });
    try {
      await new Promise<void>((resolve, reject) => {
        req.on('data', (c: Buffer) => {
          md5.update(c);
          if (!ws.write(c)) {
            req.pause();
            ws.once('drain', () => req.resume());
          }
        });
        req.on('end', () => {
          ws.end();
          resolve();
        });
        req.on('error', reject);
        ws.on('error', reject);
      });
      await finished(ws);
      await fdatasync(fd);
      await closeFd(fd);
      closed = true;
      const dest = fileFor(path);
      await rename(tmp, dest);
      const etag = `"${md5.digest('hex')}"`;
      etags.set(path, etag);
      reply(res, 200, '', { etag });
    } catch (err) {
      if (!closed) await closeFd(fd).catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      reply(res, 500, String(err));
    }
  };

  const get = async (req: http.IncomingMessage, res: http.ServerResponse, path: string, head: boolean): Promise<void> => {
    req.resume();
    const file = fileFor(path);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return reply(res, 404);
    }
    const headers: http.OutgoingHttpHeaders = { 'content-length': size };
    const etag = etags.get(path);
    if (etag !== undefined) headers.etag = etag;
    res.writeHead(200, headers);
    if (head) return void res.end();
    const rs = createReadStream(file);
    rs.on('error', () => res.destroy());
    rs.pipe(res);
  };

  const list = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    req.resume();
    const names = (await readdir(dir)).filter((n) => !n.startsWith('.tmp-')).slice(0, 1000);
    reply(res, 200, listBody(names), { 'content-type': 'application/xml' });
  };

  return (req, res) => {
    const { path, query } = splitUrl(req.url);
    const method = req.method ?? 'GET';
    let p: Promise<void>;
    if (method === 'PUT') p = put(req, res, path);
    else if (method === 'GET' && query.includes('list-type')) p = list(req, res);
    else if (method === 'GET' || method === 'HEAD') {
      if (!isObjectPath(path)) {
        req.resume();
        p = Promise.resolve(reply(res, 200));
      } else p = get(req, res, path, method === 'HEAD');
    } else {
      req.resume();
      p = Promise.resolve(reply(res, 405));
    }
    p.catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, String(err));
      else res.destroy();
    });
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const handler = args.kind === 'ceiling' ? ceiling() : floor(args.dir);
  const tls = args.tlsCert !== undefined && args.tlsKey !== undefined;
  const server = tls
    ? https.createServer({ cert: readFileSync(args.tlsCert ?? ''), key: readFileSync(args.tlsKey ?? ''), noDelay: true }, handler)
    : http.createServer({ noDelay: true }, handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(args.port, args.host, resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${args.kind} is serving on ${tls ? 'https' : 'http'}://${args.host}:${port}\n`);
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`reference-servers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
