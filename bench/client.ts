/**
 * The one lightweight S3 client `npm run bench` uses against Strongbox and both reference
 * servers: raw node:http(s) with a keep-alive agent (maxSockets = concurrency), TCP_NODELAY,
 * SigV4 header auth with `UNSIGNED-PAYLOAD` signed by hand with node:crypto (the signing key is
 * derived once per day; extra headers, SSE-C ones included, are signed too), path-style URLs.
 * Large bodies (up to GiBs) go out in 1 MiB writes with backpressure from one preallocated
 * buffer repeated; response bodies are counted and discarded (only a short prefix is kept on
 * request).
 */
import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';

export interface ClientOptions {
  /** `http(s)://host:port` */
  endpoint: string;
  concurrency: number;
  /** PEM CA bundle for https. */
  ca?: Buffer;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Body bytes received (the body itself is discarded). */
  bytes: number;
  /** First bytes of the body, kept only for error statuses. */
  errorText: string;
  /** First `keep` bytes of the body (empty unless asked for). */
  prefix: Buffer;
}

/** Per-request extras: more headers (all signed) and how much of the body to keep. */
export interface RequestExtras {
  headers?: Readonly<Record<string, string>>;
  /** Keep this many leading body bytes in `Response.prefix`. */
  keep?: number;
}

export class S3Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

const WRITE_SLICE = 1024 * 1024;
const UNSIGNED = 'UNSIGNED-PAYLOAD';
const PLAIN_SIGNED_HEADERS = 'host;x-amz-content-sha256;x-amz-date';

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export class BenchClient {
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly hostname: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly region: string;
  private signingDay = '';
  private signingKey: Buffer = Buffer.alloc(0);
  private scope = '';

  constructor(private readonly opts: ClientOptions) {
    const url = new URL(opts.endpoint);
    const secure = url.protocol === 'https:';
    this.mod = secure ? https : http;
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || (secure ? 443 : 80));
    this.hostHeader = url.host;
    this.region = opts.region ?? 'us-east-1';
    const agentOpts: https.AgentOptions = {
      keepAlive: true,
      maxSockets: opts.concurrency,
      maxFreeSockets: opts.concurrency,
      keepAliveMsecs: 1000,
      scheduling: 'lifo',
    };
    if (secure && opts.ca !== undefined) agentOpts.ca = opts.ca;
    this.agent = secure ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  close(): void {
    this.agent.destroy();
  }

  private key(day: string): Buffer {
    if (day !== this.signingDay) {
      const h = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();
      this.signingKey = h(h(h(h(`AWS4${this.opts.secretAccessKey}`, day), this.region), 's3'), 'aws4_request');
      this.signingDay = day;
      this.scope = `${day}/${this.region}/s3/aws4_request`;
    }
    return this.signingKey;
  }

  /** Headers for a SigV4-signed request (host, x-amz-date, x-amz-content-sha256 and `extra` signed). */
  private sign(
    method: string,
    path: string,
    query: Record<string, string>,
    extra: Readonly<Record<string, string>> | undefined,
  ): { headers: http.OutgoingHttpHeaders; target: string } {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const key = this.key(amzDate.slice(0, 8));
    const canonicalUri = path
      .split('/')
      .map((seg) => uriEncode(seg))
      .join('/');
    const canonicalQuery = Object.keys(query)
      .sort()
      .map((k) => `${uriEncode(k)}=${uriEncode(query[k] ?? '')}`)
      .join('&');
    const headers: Record<string, string> = { host: this.hostHeader, 'x-amz-date': amzDate, 'x-amz-content-sha256': UNSIGNED };
    let signedHeaders = PLAIN_SIGNED_HEADERS;
    let canonicalHeaders = `host:${this.hostHeader}\nx-amz-content-sha256:${UNSIGNED}\nx-amz-date:${amzDate}\n`;
    if (extra !== undefined) {
      for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value.replace(/[ \t]+/g, ' ').trim();
      const names = Object.keys(headers).sort();
      signedHeaders = names.join(';');
      canonicalHeaders = names.map((n) => `${n}:${headers[n] ?? ''}\n`).join('');
    }
    const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, UNSIGNED].join('\n');
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${this.scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    return {
      target: canonicalQuery === '' ? canonicalUri : `${canonicalUri}?${canonicalQuery}`,
      headers: {
        ...headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${this.opts.accessKeyId}/${this.scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
      },
    };
  }

  /**
   * One request. `body` is sent as `size` bytes taken from `body` (repeated if shorter) in
   * 1 MiB writes, waiting for 'drain' whenever the socket pushes back, so a body of any size
   * costs no memory beyond `buf`.
   */
  request(
    method: string,
    path: string,
    query: Record<string, string> = {},
    body?: { buf: Buffer; size: number },
    extras: RequestExtras = {},
  ): Promise<Response> {
    const { headers, target } = this.sign(method, path, query, extras.headers);
    const keep = extras.keep ?? 0;
    const size = body?.size ?? 0;
    if (method === 'PUT' || body !== undefined) headers['content-length'] = size;
    return new Promise<Response>((resolve, reject) => {
      const req = this.mod.request(
        { agent: this.agent, hostname: this.hostname, port: this.port, method, path: target, headers },
        (res) => {
          let bytes = 0;
          let errorText = '';
          const kept: Buffer[] = [];
          const status = res.statusCode ?? 0;
          res.on('data', (c: Buffer) => {
            // Copied: a slice would pin the whole (up to 64 KiB) chunk.
            if (bytes < keep) kept.push(Buffer.from(c.subarray(0, keep - bytes)));
            bytes += c.length;
            if (status >= 300 && errorText.length < 2000) errorText += c.toString('utf8');
          });
          res.on('end', () => resolve({ status, headers: res.headers, bytes, errorText, prefix: Buffer.concat(kept) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.on('socket', (s: Socket) => s.setNoDelay(true));
      if (body === undefined || size === 0) {
        req.end();
        return;
      }
      const { buf } = body;
      if (size <= buf.length && size <= WRITE_SLICE) {
        req.end(buf.subarray(0, size));
        return;
      }
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          const n = Math.min(WRITE_SLICE, size - sent, buf.length);
          sent += n;
          if (!req.write(buf.subarray(0, n))) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
  }

  private static check(res: Response, what: string, ok: (s: number) => boolean = (s) => s >= 200 && s < 300): Response {
    if (!ok(res.status)) throw new S3Error(res.status, `${what}: HTTP ${res.status} ${res.errorText.slice(0, 300)}`);
    return res;
  }

  async createBucket(bucket: string): Promise<void> {
    const res = await this.request('PUT', `/${bucket}`, {}, { buf: Buffer.alloc(0), size: 0 });
    // 409 BucketAlreadyOwnedByYou is fine on a re-run.
    BenchClient.check(res, `CreateBucket ${bucket}`, (s) => (s >= 200 && s < 300) || s === 409);
  }

  /** PUT `size` bytes of `buf` (repeated); `headers` are sent and signed (SSE-C, …). */
  async put(bucket: string, key: string, buf: Buffer, size: number, headers?: Readonly<Record<string, string>>): Promise<Response> {
    const extras = headers === undefined ? {} : { headers };
    return BenchClient.check(await this.request('PUT', `/${bucket}/${key}`, {}, { buf, size }, extras), `PUT ${key}`);
  }

  /** GET, verifying the body length; returns the bytes received. */
  async get(bucket: string, key: string, expected: number, headers?: Readonly<Record<string, string>>): Promise<number> {
    return (await this.getResponse(bucket, key, expected, headers)).bytes;
  }

  /** GET, verifying the body length; returns the response (headers included). */
  async getResponse(bucket: string, key: string, expected: number, headers?: Readonly<Record<string, string>>): Promise<Response> {
    const extras = headers === undefined ? {} : { headers };
    const res = BenchClient.check(await this.request('GET', `/${bucket}/${key}`, {}, undefined, extras), `GET ${key}`);
    if (res.bytes !== expected) throw new Error(`GET ${key}: got ${res.bytes} bytes, expected ${expected}`);
    return res;
  }

  /** GET bytes [start, end] (inclusive): expects 206 and exactly that many bytes, kept in `prefix`. */
  async getRange(bucket: string, key: string, start: number, end: number, headers?: Readonly<Record<string, string>>): Promise<Response> {
    const n = end - start + 1;
    const res = await this.request('GET', `/${bucket}/${key}`, {}, undefined, { headers: { ...headers, range: `bytes=${start}-${end}` }, keep: n });
    BenchClient.check(res, `GET ${key} bytes=${start}-${end}`, (s) => s === 206);
    if (res.bytes !== n) throw new Error(`GET ${key} bytes=${start}-${end}: got ${res.bytes} bytes, expected ${n}`);
    return res;
  }

  async head(bucket: string, key: string, expected: number, headers?: Readonly<Record<string, string>>): Promise<Response> {
    const extras = headers === undefined ? {} : { headers };
    const res = BenchClient.check(await this.request('HEAD', `/${bucket}/${key}`, {}, undefined, extras), `HEAD ${key}`);
    const len = Number(res.headers['content-length']);
    if (len !== expected) throw new Error(`HEAD ${key}: content-length ${len}, expected ${expected}`);
    return res;
  }

  /**
   * CopyObject from `source` (`bucket/key`) onto bucket/key. Amazon may answer 200 and still
   * report an error in the body (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html),
   * so the body is checked too.
   */
  async copy(bucket: string, key: string, source: string, headers: Readonly<Record<string, string>>): Promise<Response> {
    const res = await this.request(
      'PUT',
      `/${bucket}/${key}`,
      {},
      { buf: Buffer.alloc(0), size: 0 },
      { headers: { ...headers, 'x-amz-copy-source': `/${source.split('/').map(encodeURIComponent).join('/')}` }, keep: 2000 },
    );
    BenchClient.check(res, `CopyObject ${source} -> ${key}`);
    const text = res.prefix.toString('utf8');
    if (!text.includes('CopyObjectResult')) throw new S3Error(res.status, `CopyObject ${source} -> ${key}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return res;
  }

  /** ListObjectsV2; returns the response body's size. */
  async list(bucket: string, prefix: string, maxKeys: number): Promise<number> {
    const res = BenchClient.check(
      await this.request('GET', `/${bucket}`, { 'list-type': '2', 'max-keys': String(maxKeys), prefix }),
      `ListObjectsV2 ${bucket}`,
    );
    return res.bytes;
  }
}
