/**
 * Issue 14, defect 5: what one client can hold of the listener. A body that stops arriving is
 * cut off with 400 RequestTimeout while other clients are served; headers that never finish
 * get the same answer; a client address over its connection cap gets 503 SlowDown, counted
 * per forwarded address behind a --trust-proxy proxy and never per proxy. Short limits (1 s)
 * keep the tests quick; nothing here asserts a duration, only that the cut happened.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { bodyBytes, bucketName, expectS3Error, rawRequest, s3Client, startServer, xmlCode, type TestServer } from './harness.js';
import { signRequest } from './fixtures/sigv4.js';

/** Long enough to mean "never" for limits of a second. */
const NEVER_MS = 15_000;

interface Conn {
  readonly socket: net.Socket;
  /** Everything received so far. */
  text(): string;
  /** Resolves when the server closes the connection; rejects after NEVER_MS. */
  closed(): Promise<string>;
  /** Resolves once the received text matches. */
  received(re: RegExp): Promise<string>;
}

async function connect(server: TestServer): Promise<Conn> {
  const u = new URL(server.url);
  const socket = net.connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const within = <T>(p: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen; received so far:\n${text}`)), NEVER_MS);
    });
    return Promise.race([p, limit]).finally(() => clearTimeout(timer));
  };
  return {
    socket,
    text: () => text,
    closed: () => within(ended.then(() => text), 'the server closing the connection'),
    received: (re) =>
      within(
        new Promise<string>((resolve) => {
          const check = () => {
            if (re.test(text)) {
              socket.off('data', check);
              resolve(text);
            }
          };
          socket.on('data', check);
          check();
        }),
        `a response matching ${String(re)}`,
      ),
  };
}

/** The head of a signed PUT announcing `length` body bytes (UNSIGNED-PAYLOAD), extra headers unsigned. */
function signedPutHead(server: TestServer, path: string, length: number, extra: Record<string, string> = {}): string {
  const host = new URL(server.url).host;
  const signed = signRequest({
    method: 'PUT',
    path,
    headers: { host, 'content-length': String(length) },
    payloadHash: 'UNSIGNED-PAYLOAD',
    creds: server.root,
    date: new Date(),
  });
  const lines = Object.entries({ ...signed.headers, ...extra }).map(([k, v]) => `${k}: ${v}`);
  return `PUT ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

const HEALTH = (extra = '') => `GET /_strongbox/health HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

/** Polls `fn` until it returns true (the server frees slots when it sees a close, a moment later). */
async function eventually(fn: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + NEVER_MS;
  while (!(await fn())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('idle request bodies and headers are cut off; keep-alive limits', () => {
  let server: TestServer;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    server = await startServer({ http: true, extraArgs: ['--body-idle-timeout', '1', '--header-timeout', '1', '--max-requests-per-connection', '3'] });
    s3 = s3Client(server);
    bucket = bucketName('limits');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('a body that stops arriving gets 400 RequestTimeout and a close; other clients are served meanwhile', async () => {
    const slow = await connect(server);
    slow.socket.write(signedPutHead(server, `/${bucket}/slow`, 1000) + 'x'.repeat(10));
    // While the slow client stalls, another one works normally.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'fast', Body: 'quick' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'fast' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'quick');

    const text = await slow.closed();
    assert.match(text, /^HTTP\/1\.1 400 /, text);
    assert.equal(xmlCode(text), 'RequestTimeout', text);
    assert.match(text, /Your socket connection to the server was not read from or written to within the timeout period/);
    assert.match(text, /\r\nConnection: close\r\n/i);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'slow' })), 'NotFound', 404);
  });

  it('a body that keeps arriving, however slowly, is not cut off', async () => {
    const steady = await connect(server);
    steady.socket.write(signedPutHead(server, `/${bucket}/steady`, 6));
    for (const piece of ['ab', 'cd', 'ef']) {
      await new Promise((r) => setTimeout(r, 600));
      steady.socket.write(piece);
    }
    const text = await steady.received(/^HTTP\/1\.1 \d{3} /);
    assert.match(text, /^HTTP\/1\.1 200 /, text);
    steady.socket.destroy();
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'steady' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'abcdef');
  });

  it('headers that never finish get 400 RequestTimeout and a close', async () => {
    const half = await connect(server);
    half.socket.write('GET /_strongbox/health HTTP/1.1\r\nHost: localhost\r\n');
    const text = await half.closed();
    assert.match(text, /^HTTP\/1\.1 400 /, text);
    assert.equal(xmlCode(text), 'RequestTimeout', text);
  });

  it('--max-requests-per-connection: the last response allowed on a connection says Connection: close', async () => {
    const c = await connect(server);
    c.socket.write(HEALTH() + HEALTH() + HEALTH());
    const text = await c.received(/(HTTP\/1\.1 200 [^]*?ok\n){3}/);
    const responses = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(responses.length, 3, text);
    assert.match(responses[0]!, /\r\nConnection: keep-alive\r\n/i);
    assert.match(responses[2]!, /\r\nConnection: close\r\n/i);
    c.socket.destroy();
  });
});

describe('connections per client address', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ http: true, extraArgs: ['--max-connections-per-client', '2'] });
  });
  after(async () => {
    await server?.stop();
  });

  it('a connection over the cap gets 503 SlowDown and a close; a freed slot lets the next one in', async () => {
    const held = [await connect(server), await connect(server)];
    // Each answers once, so the server has surely counted both.
    for (const c of held) {
      c.socket.write(HEALTH());
      await c.received(/^HTTP\/1\.1 200 [\s\S]*ok\n$/);
    }
    const refused = await rawRequest(server, { method: 'GET', path: '/_strongbox/health' });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(xmlCode(refused.text), 'SlowDown');
    assert.equal(refused.headers.connection, 'close');
    // The connections held are still served.
    held[0]!.socket.write(HEALTH());
    await held[0]!.received(/ok\n[\s\S]*ok\n$/);

    held[1]!.socket.destroy();
    await eventually(async () => (await rawRequest(server, { method: 'GET', path: '/_strongbox/health' })).status === 200, 'a request after a slot was freed');
    held[0]!.socket.destroy();
  });
});

describe('behind a trusted proxy, the cap counts forwarded addresses, never the proxy', () => {
  let server: TestServer;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    server = await startServer({ http: true, extraArgs: ['--trust-proxy', '127.0.0.1', '--max-connections-per-client', '1'] });
    s3 = s3Client(server);
    bucket = bucketName('proxied');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  const health = (forwardedFor: string) =>
    rawRequest(server, { method: 'GET', path: '/_strongbox/health', headers: { 'x-forwarded-for': forwardedFor } });

  it('one client busy, the next request of that client is refused and other clients are served', async () => {
    // Many connections from the proxy's own address are fine.
    const idle = [await connect(server), await connect(server), await connect(server)];
    // Client 10.0.0.1 has a request in flight: a PUT whose body is still coming.
    const busy = await connect(server);
    busy.socket.write(signedPutHead(server, `/${bucket}/in-flight`, 1000, { 'x-forwarded-for': '10.0.0.1' }) + 'x'.repeat(10));
    await eventually(async () => (await health('10.0.0.1')).status === 503, 'a second request of 10.0.0.1 refused');
    // A proxy connection carries other clients: it is not closed for one client's surplus.
    const proxy = idle[0]!;
    proxy.socket.write(HEALTH('X-Forwarded-For: 10.0.0.1\r\n'));
    const refused = await proxy.received(/<\/Error>/);
    assert.match(refused, /^HTTP\/1\.1 503 /, refused);
    assert.equal(xmlCode(refused), 'SlowDown');
    assert.match(refused, /\r\nConnection: keep-alive\r\n/i);
    assert.equal((await health('10.0.0.2')).status, 200);
    assert.equal((await health('192.0.2.7, 10.0.0.3')).status, 200);
    // The SDK, with no X-Forwarded-For, is the proxy's own address: its own client.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'direct', Body: 'x' }));

    busy.socket.destroy();
    await eventually(async () => (await health('10.0.0.1')).status === 200, 'a request of 10.0.0.1 after its first ended');
    for (const c of idle) c.socket.destroy();
  });
});

describe('requests in flight in the process, all clients together', () => {
  let server: TestServer;
  let s3: S3Client;
  const bucket = bucketName('inflight');

  before(async () => {
    server = await startServer({ http: true, extraArgs: ['--max-requests-in-flight', '2'] });
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('beyond the cap a request gets 503 SlowDown at once; when one finishes the next is served', async () => {
    // Two uploads whose bodies have not finished arriving hold both places.
    const held = [await connect(server), await connect(server)];
    held.forEach((c, i) => c.socket.write(`${signedPutHead(server, `/${bucket}/held-${i}`, 10)}12345`));
    await eventually(async () => {
      const probe = await rawRequest(server, { method: 'GET', path: '/_strongbox/health' });
      return probe.status === 503 && xmlCode(probe.text) === 'SlowDown';
    }, 'a third request refused with 503 SlowDown while two are in flight');
    // Another client's signed request is refused the same way: the cap is the process's, not a client's.
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'held-0' })), 'SlowDown', 503);

    held[0]!.socket.write('67890');
    await held[0]!.received(/^HTTP\/1\.1 200 /);
    await eventually(async () => (await rawRequest(server, { method: 'GET', path: '/_strongbox/health' })).status === 200, 'a request once one finished');
    held[1]!.socket.write('67890');
    await held[1]!.received(/^HTTP\/1\.1 200 /);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'held-1' }));
    assert.equal((await bodyBytes(got.Body)).toString(), '1234567890');
    for (const c of held) c.socket.destroy();
  });
});
