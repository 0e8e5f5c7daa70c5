/**
 * Integration harness: runs the real server (dist/src/cli/main.js) as a child process on
 * port 0 with a temporary data directory, and gives tests clients for it: the JS SDK,
 * raw HTTP(S) requests, boto3 (python3) and the AWS CLI with a clean environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Credentials } from './fixtures/sigv4.js';

export type { Credentials } from './fixtures/sigv4.js';

/** The CLI entry point, next to this file once compiled: dist/test/integration → dist/src/cli. */
export const MAIN_JS = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface StartOptions {
  readonly http?: boolean;
  readonly domain?: string;
  /** Reuse a data directory (restart tests); it is then not removed by stop(). */
  readonly dataDir?: string;
  readonly root?: Credentials;
  readonly extraArgs?: readonly string[];
  /** Log every request at info level, so that `requests()` sees them. */
  readonly requestLog?: boolean;
}

/** One request as the server logged it: `"msg":"request"`, `"request failed"`, or an internal error (500). */
export interface RequestRecord {
  /** The router's operation name (`PutObject`, `kms:Encrypt`); absent if routing failed. */
  readonly op?: string;
  readonly status: number;
  /** The S3 (or KMS) error code of a failed request. */
  readonly code?: string;
  readonly bucket?: string;
}

export interface TestServer {
  readonly url: string;
  readonly http: boolean;
  /** The CA to trust for HTTPS; undefined for --http. */
  readonly caFile: string | undefined;
  readonly ca: Buffer | undefined;
  readonly dataDir: string;
  readonly root: Credentials;
  readonly pid: number;
  /** Everything the server printed so far (stdout + stderr), for failure messages. */
  output(): string;
  /**
   * Every request the server has logged so far, in order, kept apart from `output()` so that
   * none is dropped. Needs `requestLog: true`. A line is printed just after its response, so
   * a client can exit before the test has read it: wait with `waitForRequests`.
   */
  requests(): readonly RequestRecord[];
  addUser(name: string): Promise<Credentials>;
  /** SIGTERM, wait for exit, remove the temp dir (unless dataDir was given). */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit; keeps the data directory. */
  kill(): Promise<void>;
}

const randomKey = (): string => `TK${randomBytes(9).toString('hex').toUpperCase()}`;
const randomSecret = (): string => randomBytes(24).toString('base64url');

/** Runs a command to completion, collecting output. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // A command that exits without reading its input (fusermount, a failing client) makes the
    // write fail with EPIPE; its exit code and output say what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** `node dist/src/cli/main.js …` */
export const runCli = (args: readonly string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [MAIN_JS, ...args], env === undefined ? {} : { env });

/** Parse `AWS_ACCESS_KEY_ID=…` / `AWS_SECRET_ACCESS_KEY=…` lines. */
export function parseCredentialLines(text: string): Credentials {
  const id = /AWS_ACCESS_KEY_ID=(\S+)/.exec(text)?.[1];
  const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(text)?.[1];
  assert.ok(id !== undefined && secret !== undefined, `no credentials in output:\n${text}`);
  return { accessKeyId: id, secretAccessKey: secret };
}

/** Environment for the server process: ours minus anything that would change its config. */
function serverEnv(root: Credentials | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRONGBOX_')) env[k] = v;
  if (root !== undefined) {
    env['STRONGBOX_ROOT_ACCESS_KEY'] = root.accessKeyId;
    env['STRONGBOX_ROOT_SECRET_KEY'] = root.secretAccessKey;
  }
  return env;
}

/**
 * The log messages (src/server/handle-request.ts, src/kms/api/handler.ts) that end a request:
 * success and 4xx lines carry `status`; internal errors and corruption do not and answer 5xx.
 */
const REQUEST_END = /^(request|request failed|internal error|KMS internal error|data corruption: .*)$/;

/** A request record from one line of the server's output, or undefined for any other line. */
function parseRequestLine(line: string): RequestRecord | undefined {
  if (!line.startsWith('{') || !line.includes('"msg":')) return undefined;
  const o = JSON.parse(line) as Record<string, unknown>;
  const msg = o['msg'];
  if (typeof msg !== 'string' || !REQUEST_END.test(msg)) return undefined;
  const { status, op, code, bucket } = o;
  return {
    status: typeof status === 'number' ? status : 500,
    ...(typeof op === 'string' ? { op } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof bucket === 'string' ? { bucket } : {}),
  };
}

/** Feed it stdout chunks; it keeps every request record, whatever the output buffer drops. */
function requestCollector(): { readonly records: RequestRecord[]; push(d: Buffer): void } {
  const records: RequestRecord[] = [];
  let partial = '';
  return {
    records,
    push(d: Buffer) {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const r = parseRequestLine(line);
        if (r !== undefined) records.push(r);
      }
    },
  };
}

/** Spawn `serve` and resolve once the banner is printed; does not wait for health. */
export function spawnServe(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; output: () => string; requests: () => readonly RequestRecord[] }> {
  const child = spawn(process.execPath, [MAIN_JS, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const collector = requestCollector();
  child.stdout?.on('data', (d: Buffer) => collector.push(d));
  // Never leave a server behind if the test process exits without stopping it.
  const reap = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let text = '';
  const append = (d: Buffer) => {
    text += d.toString('utf8');
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print its URL within 30 s:\n${text}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      append(d);
      const m = /Strongbox is serving S3 on (https?:\/\/\S+)/.exec(text);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.on('data', append);
        resolve({ child, url: m[1], output: () => text, requests: () => collector.records });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', append);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal}):\n${text}`));
    });
  });
}

async function waitHealthy(url: string, ca: Buffer | undefined, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    // A server that died after its banner (a crash test) will not get healthy: say so at once.
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (code ${child.exitCode}, signal ${child.signalCode})`);
    try {
      const res = await rawRequest({ url, ca }, { method: 'GET', path: '/_strongbox/health' });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} not healthy: ${last}`);
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'strongbox-it-'));
  const root = opts.root ?? { accessKeyId: randomKey(), secretAccessKey: randomSecret() };
  const level = process.env['STRONGBOX_TEST_LOG'] ?? 'warn';
  // Request lines are logged at info; a more verbose level asked for by the developer keeps them.
  const logLevel = opts.requestLog && !['debug', 'trace'].includes(level) ? 'info' : level;
  const args = ['--data', dataDir, '--listen', '127.0.0.1:0', '--log-level', logLevel];
  if (opts.http) args.push('--http');
  if (opts.domain !== undefined) args.push('--domain', opts.domain);
  // The default floor (1 % of the volume) could refuse every write on a test machine with little
  // free space; tests of the floor itself pass their own --min-free-space.
  if (!(opts.extraArgs ?? []).includes('--min-free-space')) args.push('--min-free-space', '64MiB');
  args.push(...(opts.extraArgs ?? []));
  let spawned;
  try {
    spawned = await spawnServe(args, serverEnv(root));
  } catch (err) {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { child, url, output, requests } = spawned;
  const caFile = opts.http ? undefined : join(dataDir, 'tls', 'ca.pem');
  const ca = caFile !== undefined && existsSync(caFile) ? readFileSync(caFile) : undefined;
  if (!opts.http) assert.ok(ca !== undefined, `HTTPS server did not create ${caFile}`);
  try {
    await waitHealthy(url, ca, child);
  } catch (err) {
    child.kill('SIGKILL');
    await waitExit(child);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${String(err)}\n${output()}`);
  }
  return {
    url,
    http: opts.http === true,
    caFile,
    ca,
    dataDir,
    root,
    pid: child.pid ?? -1,
    output,
    requests() {
      assert.ok(opts.requestLog, 'start the server with requestLog: true to see its requests');
      return requests();
    },
    async addUser(name: string) {
      const r = await runCli(['user', 'add', name, '--data', dataDir]);
      assert.equal(r.code, 0, `user add failed: ${r.stderr}`);
      return parseCredentialLines(r.stdout);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await waitExit(child);
      clearTimeout(timer);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await waitExit(child);
    },
  };
}

/** One line per request (`PutObject 200`, `UploadPart 400 InvalidRequest`), for failure messages. */
export const formatRequests = (records: readonly RequestRecord[]): string =>
  records.map((r) => [r.op ?? '(unrouted)', r.status, r.code ?? ''].join(' ').trim()).join('\n');

/**
 * Resolve with the server's logged requests that `match` once there are at least `count`;
 * fail with every logged request after 5 s.
 */
export async function waitForRequests(
  server: Pick<TestServer, 'requests'>,
  match: (r: RequestRecord) => boolean,
  count = 1,
): Promise<RequestRecord[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = server.requests().filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      assert.fail(`expected ${count} matching request(s), found ${found.length}; the server logged:\n${formatRequests(server.requests())}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An S3Client for the server (path style, us-east-1, trusting the server's CA, no retries). */
export function s3Client(
  server: Pick<TestServer, 'url' | 'ca'>,
  creds?: Credentials,
  extra: Partial<S3ClientConfig> = {},
): S3Client {
  const handler = new NodeHttpHandler({
    httpsAgent: new https.Agent({ keepAlive: true, ...(server.ca === undefined ? {} : { ca: server.ca }) }),
    httpAgent: new http.Agent({ keepAlive: true }),
  });
  return new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: creds ?? (server as TestServer).root,
    requestHandler: handler,
    maxAttempts: 1,
    ...extra,
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

export interface RawRequest {
  readonly method: string;
  /** Path plus query, as sent. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length). */
  readonly chunked?: boolean;
}

/** One HTTP(S) request with no SDK in the way. */
export function rawRequest(server: { url: string; ca: Buffer | undefined }, req: RawRequest): Promise<RawResponse> {
  const base = new URL(server.url);
  const isHttps = base.protocol === 'https:';
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const hasHeader = (n: string) => Object.keys(headers).some((k) => k.toLowerCase() === n);
  if (body !== undefined && !req.chunked && !hasHeader('content-length')) headers['content-length'] = String(body.length);
  if (req.chunked) headers['transfer-encoding'] = 'chunked';
  const options: https.RequestOptions = {
    method: req.method,
    host: base.hostname,
    port: base.port,
    path: req.path,
    headers,
    agent: false,
    ...(isHttps && server.ca !== undefined ? { ca: server.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const r = (isHttps ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
      });
    });
    r.on('error', reject);
    if (body !== undefined) r.end(body);
    else r.end();
  });
}

/** GET or PUT a full URL (e.g. a presigned one) trusting the server's CA. */
export function fetchUrl(
  server: { ca: Buffer | undefined },
  url: string,
  method = 'GET',
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return rawRequest(
    { url: `${u.protocol}//${u.host}`, ca: server.ca },
    { method, path: `${u.pathname}${u.search}`, headers, ...(body === undefined ? {} : { body }) },
  );
}

/** The <Code> of an S3 XML error body. */
export const xmlCode = (text: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
export const xmlTag = (text: string, tag: string): string | undefined =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1];

/** Assert that `p` rejects with an SDK S3 error of `code` (and `status` if given). */
export async function expectS3Error(p: Promise<unknown>, code: string, status?: number): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; message?: string };
    const got = e.Code ?? e.name;
    assert.equal(got, code, `expected ${code}, got ${got}: ${e.message ?? String(err)}`);
    if (status !== undefined) assert.equal(e.$metadata?.httpStatusCode, status, `status for ${code}`);
    return err;
  }
  assert.fail(`expected error ${code}, but the request succeeded`);
}

/** Unique, valid bucket names per test. */
let bucketCounter = 0;
export const bucketName = (prefix: string): string =>
  `${prefix}-${process.pid}-${++bucketCounter}-${randomBytes(3).toString('hex')}`.toLowerCase();

/** Read an SDK body into a Buffer. */
export async function bodyBytes(body: unknown): Promise<Buffer> {
  const b = body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
  assert.ok(b?.transformToByteArray !== undefined, 'response has no body');
  return Buffer.from(await b.transformToByteArray());
}

/** All regular files below `dir` (recursively), or [] if it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export const fileSize = async (p: string): Promise<number> => (await stat(p)).size;

// ---------------------------------------------------------------------------------------------
// boto3 and the AWS CLI

/**
 * A clean environment for python3/aws: the machine-wide CA variables removed, AWS config
 * files pointed at /dev/null, the given credentials, and AWS_CA_BUNDLE = the server's CA.
 */
export function clientEnv(server: Pick<TestServer, 'caFile' | 'http'>, creds: Credentials): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'PYENV_ROOT', 'PYENV_VERSION', 'PYTHONPATH', 'USER'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env['AWS_CONFIG_FILE'] = '/dev/null';
  env['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null';
  env['AWS_ACCESS_KEY_ID'] = creds.accessKeyId;
  env['AWS_SECRET_ACCESS_KEY'] = creds.secretAccessKey;
  env['AWS_DEFAULT_REGION'] = 'us-east-1';
  env['AWS_EC2_METADATA_DISABLED'] = 'true';
  env['AWS_RETRY_MODE'] = 'standard';
  env['AWS_MAX_ATTEMPTS'] = '1';
  env['PYTHONUNBUFFERED'] = '1';
  if (!server.http && server.caFile !== undefined) env['AWS_CA_BUNDLE'] = server.caFile;
  return env;
}

/** Run a python3 script (boto3) from stdin; STRONGBOX_URL is set to the endpoint. */
export function runPython(script: string, env: NodeJS.ProcessEnv) {
  return run('python3', ['-'], { env, input: script, timeoutMs: 240_000 });
}

/** Run `aws <args> --endpoint-url <url>`. */
export function runAws(server: Pick<TestServer, 'url'>, args: readonly string[], env: NodeJS.ProcessEnv, input?: Buffer) {
  return run('aws', [...args, '--endpoint-url', server.url], { env, timeoutMs: 240_000, ...(input === undefined ? {} : { input }) });
}

/** Both transports, for suites that must run over each (spec §9.1: the body format differs). */
export const TRANSPORTS = [
  { name: 'https', http: false },
  { name: 'http', http: true },
] as const;

// ---------------------------------------------------------------------------------------------
// Hand-signed requests (independent signer in fixtures/sigv4.ts)

export interface SignedRawRequest {
  readonly method: string;
  /** Encoded path, e.g. `/bucket/key%20name`. */
  readonly path: string;
  readonly query?: readonly (readonly [string, string])[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** x-amz-content-sha256; defaults to the body's real SHA-256. */
  readonly payloadHash?: string;
  readonly date?: Date;
  readonly chunked?: boolean;
}

export async function signedRequest(
  server: Pick<TestServer, 'url' | 'ca'>,
  creds: Credentials,
  req: SignedRawRequest,
): Promise<RawResponse> {
  const { signRequest, sha256Hex } = await import('./fixtures/sigv4.js');
  const host = new URL(server.url).host;
  const body = req.body;
  const signed = signRequest({
    method: req.method,
    path: req.path,
    query: req.query ?? [],
    headers: { host, ...(req.headers ?? {}) },
    payloadHash: req.payloadHash ?? sha256Hex(body ?? Buffer.alloc(0)),
    creds,
    date: req.date ?? new Date(),
  });
  const path = signed.queryString === '' ? req.path : `${req.path}?${signed.queryString}`;
  return rawRequest(server, {
    method: req.method,
    path,
    headers: signed.headers,
    ...(body === undefined ? {} : { body }),
    ...(req.chunked ? { chunked: true } : {}),
  });
}
