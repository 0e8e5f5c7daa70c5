import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { AuthInput } from '../../src/auth/verify-request.js';
import { AK, NOW, SK, drain, verify } from './helpers.js';

interface Captured {
  input: AuthInput;
  body: Buffer;
}

/** An S3Client whose transport records the signed request instead of sending it. */
function capturingClient(captured: Captured[]): S3Client {
  return new S3Client({
    region: 'us-west-2',
    endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true,
    credentials: { accessKeyId: AK, secretAccessKey: SK },
    // Sign at the fixed test time.
    systemClockOffset: NOW.getTime() - Date.now(),
    maxAttempts: 1,
    requestHandler: {
      async handle(req: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string>; body?: unknown }) {
        const parts: Buffer[] = [];
        const b = req.body;
        if (b instanceof Readable) for await (const c of b) parts.push(Buffer.from(c as Uint8Array));
        else if (typeof b === 'string' || b instanceof Uint8Array) parts.push(Buffer.from(b));
        const headers: IncomingHttpHeaders = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
        const rawQuery = Object.entries(req.query ?? {})
          .flatMap(([k, v]) => (v === null ? [encodeURIComponent(k)] : (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`)))
          .join('&');
        captured.push({ input: { method: req.method, rawPath: req.path, rawQuery, headers }, body: Buffer.concat(parts) });
        return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
      },
    } as never,
  });
}

const at = (ms: number) => new Date(NOW.getTime() + ms);

test('@aws-sdk/client-s3 header-signed requests verify (buffer body, stream body with aws-chunked trailer, list)', async () => {
  const captured: Captured[] = [];
  const client = capturingClient(captured);
  const data = Buffer.from('x'.repeat(100_000) + 'ünïcode');
  try {
    await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'dir/a b+ü.txt', Body: data, Metadata: { k: ' v  v ' } }));
    await client.send(
      new PutObjectCommand({ Bucket: 'bucket', Key: 'stream.bin', Body: Readable.from([data.subarray(0, 5000), data.subarray(5000)]), ContentLength: data.length }),
    );
    await client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: 'a b/&=+', Delimiter: '/' })).catch(() => undefined);
    await client.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'k', Range: 'bytes=0-9' })).catch(() => undefined);
  } finally {
    client.destroy();
  }
  assert.equal(captured.length, 4);
  const modes: string[] = [];
  for (const c of captured) {
    const v = verify(c.input, Readable.from([c.body]), at(1000));
    assert.equal(v.accessKeyId, AK, `${c.input.method} ${c.input.rawPath}?${c.input.rawQuery}`);
    const out = await drain(v.payload.body);
    assert.equal(out.error, undefined);
    if (c.input.method === 'PUT') {
      assert.ok(out.data.equals(data), `decoded body of ${c.input.rawPath} (${v.payload.mode})`);
      modes.push(v.payload.mode);
      if (v.payload.mode.startsWith('streaming')) {
        assert.equal(v.payload.length, data.length);
        assert.ok(v.payload.trailers.size >= 1, 'checksum trailer received');
      }
    }
  }
  // The buffer body is signed with its SHA-256; the stream goes out as aws-chunked + trailer.
  assert.deepEqual(modes, ['sha256', 'streaming-unsigned-trailer']);
});
