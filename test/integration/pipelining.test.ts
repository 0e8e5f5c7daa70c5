/**
 * A request that arrives on a keep-alive connection while the response before it is still
 * being written (the client has not read it yet) must wait its turn and then be served, over
 * HTTPS as over HTTP. Node pauses its HTTP parser in that state; over TLS, Node 20 went on
 * feeding the paused parser the rest of the decrypted bytes, which it refused as
 * `HPE_PAUSED` — a 400 and a closed connection for about 2 % of the soak's HTTPS PUTs
 * (issue 14). Here the client sends a GET of a large object, leaves its response unread so
 * that the server's writes back up, sends a PUT with a body, and only then reads: both
 * answers must arrive whole and the PUT's object must be stored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TRANSPORTS, bodyBytes, bucketName, s3Client, startServer, type TestServer } from './harness.js';
import { signRequest } from './fixtures/sigv4.js';

const MiB = 1024 * 1024;
/** More than loopback's socket buffers hold, so the server's writes must wait for the client. */
const BIG = 48 * MiB;
const PUT_SIZE = MiB;

function signedHead(server: TestServer, method: string, path: string, headers: Record<string, string>): string {
  const host = new URL(server.url).host;
  const signed = signRequest({ method, path, headers: { host, ...headers }, payloadHash: 'UNSIGNED-PAYLOAD', creds: server.root, date: new Date() });
  const lines = Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

interface Parsed {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

/** Splits `data` into HTTP/1.1 responses framed by Content-Length; stops at an incomplete one. */
function parseResponses(data: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) return out;
    const [statusLine, ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers.get('content-length') ?? '0');
    if (data.length < end + 4 + length) return out;
    out.push({ status: Number(statusLine?.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

for (const transport of TRANSPORTS) {
  describe(`a request behind an unread response waits its turn (${transport.name})`, () => {
    let server: TestServer;
    let s3: S3Client;
    const bucket = bucketName('pipe');
    const big = randomBytes(BIG);

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: big }));
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
    });

    it('GET left unread, then a PUT with a body on the same connection: both answered, the object stored', async () => {
      const u = new URL(server.url);
      const socket: net.Socket = transport.http
        ? net.connect(Number(u.port), u.hostname)
        : tls.connect({ port: Number(u.port), host: u.hostname, servername: 'localhost', ...(server.ca === undefined ? {} : { ca: server.ca }) });
      await new Promise<void>((resolve, reject) => {
        socket.once(transport.http ? 'connect' : 'secureConnect', () => resolve());
        socket.once('error', reject);
      });
      const chunks: Buffer[] = [];
      let received = 0;
      socket.pause();
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        received += d.length;
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);

      socket.write(signedHead(server, 'GET', `/${bucket}/big`, {}));
      // Let the GET's response fill the socket buffers: the server's writes now wait for us.
      await new Promise((r) => setTimeout(r, 500));
      const payload = randomBytes(PUT_SIZE);
      // Head and body in one write, as clients send them: TLS records that carry the rest of
      // the body follow the head's record in the same read.
      socket.write(Buffer.concat([Buffer.from(signedHead(server, 'PUT', `/${bucket}/behind`, { 'content-length': String(PUT_SIZE) })), payload]));
      await new Promise((r) => setTimeout(r, 200));
      socket.resume();

      let responses: Parsed[] = [];
      await new Promise<void>((resolve) => {
        const check = () => {
          if (received < BIG) return;
          responses = parseResponses(Buffer.concat(chunks));
          if (responses.length >= 2) resolve();
        };
        socket.on('data', check);
        void closed.then(() => {
          responses = parseResponses(Buffer.concat(chunks));
          resolve();
        });
      });
      socket.destroy();

      assert.equal(responses.length, 2, `expected two responses, got ${responses.length}: ${responses.map((r) => r.status).join(', ')}`);
      const [get, put] = responses as [Parsed, Parsed];
      assert.equal(get.status, 200);
      assert.equal(get.body.length, BIG);
      assert.ok(get.body.equals(big), 'the GET returned the stored bytes');
      assert.equal(put.status, 200, put.body.toString());
      assert.equal(put.headers.get('etag'), `"${createHash('md5').update(payload).digest('hex')}"`);
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'behind' }));
      assert.ok((await bodyBytes(stored.Body)).equals(payload));
    });
  });
}
