import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../../src/errors/s3-error.js';
import { canonicalHeaders } from '../../src/auth/canonical-headers.js';
import { canonicalQuery, splitQuery } from '../../src/auth/canonical-query.js';
import { buildCanonicalRequest, buildStringToSign, canonicalUri } from '../../src/auth/canonical-request.js';
import { deriveSigningKey } from '../../src/auth/signing-key.js';
import { drain, errorCode, pieces, s3Throws, verify, vector } from './helpers.js';
import { buildChunked } from './chunked-body.js';

interface GetVector {
  accessKeyId: string;
  now: string;
  request: { method: string; rawPath: string; rawQuery: string; headers: IncomingHttpHeaders };
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

interface StreamingVector {
  now: string;
  request: { method: string; rawPath: string; rawQuery: string; headers: Record<string, string> };
  payload: { byte: string; length: number; chunkSize: number };
  seedSignature: string;
  chunkSignatures: string[];
}

const get = vector<GetVector>('s3-get-object-range.json');
const put = vector<StreamingVector>('s3-streaming-put.json');

test('AWS GET Object example: canonical request and string to sign match the docs', () => {
  const r = get.request;
  const names = 'host;range;x-amz-content-sha256;x-amz-date';
  const canonical = buildCanonicalRequest({
    method: r.method,
    uri: canonicalUri(r.rawPath),
    query: canonicalQuery(splitQuery(r.rawQuery)),
    headers: canonicalHeaders(names.split(';'), r.headers),
    signedHeaders: names,
    payloadHash: String(r.headers['x-amz-content-sha256']),
  });
  assert.equal(canonical, get.canonicalRequest);
  assert.equal(buildStringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', canonical), get.stringToSign);
});

test('AWS GET Object example verifies with the injected clock', () => {
  const v = verify(get.request, Readable.from([]), new Date(get.now));
  assert.equal(v.accessKeyId, get.accessKeyId);
  assert.equal(v.payload.mode, 'sha256');
});

test('AWS GET Object example: a flipped signature gives SignatureDoesNotMatch with debugging fields', () => {
  const headers = { ...get.request.headers };
  headers.authorization = String(headers.authorization).replace(/f0e8bdb8/, 'f0e8bdb9');
  const err = s3Throws(() => verify({ ...get.request, headers }, Readable.from([]), new Date(get.now)), 'SignatureDoesNotMatch');
  assert.equal(err.status, 403);
  assert.equal(err.fields.AWSAccessKeyId, get.accessKeyId);
  assert.equal(err.fields.CanonicalRequest, get.canonicalRequest);
  assert.equal(err.fields.StringToSign, get.stringToSign);
  assert.match(String(err.fields.SignatureProvided), /^f0e8bdb9/);
  assert.match(String(err.fields.StringToSignBytes), /^41 57 53 34 /);
  // Nothing secret: neither the secret key nor the signing key appears anywhere.
  const all = JSON.stringify(err.fields) + err.message;
  assert.ok(!all.includes('wJalrXUtnFEMI'));
  assert.ok(!all.includes(deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3').toString('hex')));
});

function streamingBody(sigs: readonly string[]): Buffer {
  const data = Buffer.alloc(put.payload.length, put.payload.byte);
  // Rebuild the body with the documented signatures, independently of our chain code.
  const chunks: Buffer[] = [];
  let i = 0;
  for (let off = 0; ; off += put.payload.chunkSize) {
    const piece = data.subarray(Math.min(off, data.length), off + put.payload.chunkSize);
    chunks.push(Buffer.from(`${piece.length.toString(16)};chunk-signature=${sigs[i++]}\r\n`));
    if (piece.length === 0) break;
    chunks.push(piece, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from('\r\n'));
  return Buffer.concat(chunks);
}

test('AWS streaming PUT example: body and documented chunk signatures are accepted', async () => {
  const body = streamingBody(put.chunkSignatures);
  assert.equal(body.length, Number(put.request.headers['content-length']));
  for (const size of [body.length, 65536, 1000, 7]) {
    const v = verify(put.request, Readable.from(pieces(body, size)), new Date(put.now));
    assert.equal(v.payload.mode, 'streaming-signed');
    assert.equal(v.payload.length, 66560);
    const { data, error } = await drain(v.payload.body);
    assert.equal(error, undefined);
    assert.equal(data.length, 66560);
    assert.ok(data.equals(Buffer.alloc(66560, 'a')));
  }
});

test('AWS streaming PUT example: our chain reproduces the documented chunk signatures', () => {
  const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
  const { signatures } = buildChunked({
    data: Buffer.alloc(put.payload.length, put.payload.byte),
    chunkSize: put.payload.chunkSize,
    signing: { key, amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seed: put.seedSignature },
  });
  assert.deepEqual(signatures, put.chunkSignatures);
});

test('AWS streaming PUT example: a wrong second chunk signature stops the data after chunk one', async () => {
  const sigs = [...put.chunkSignatures];
  sigs[1] = sigs[1]!.replace(/^0/, '1');
  const v = verify(put.request, Readable.from(pieces(streamingBody(sigs), 4096)), new Date(put.now));
  const { data, error } = await drain(v.payload.body);
  assert.equal(errorCode(error), 'SignatureDoesNotMatch');
  assert.ok(error instanceof S3Error && error.status === 403);
  assert.equal(data.length, 65536, 'only the verified first chunk is passed on');
});

test('AWS streaming PUT example: a wrong final-chunk signature fails', async () => {
  const sigs = [...put.chunkSignatures];
  sigs[2] = 'b'.repeat(64);
  const v = verify(put.request, Readable.from([streamingBody(sigs)]), new Date(put.now));
  const { error } = await drain(v.payload.body);
  assert.equal(errorCode(error), 'SignatureDoesNotMatch');
});
