import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { AwsChunkedDecoder } from '../../src/auth/aws-chunked.js';
import type { AuthInput } from '../../src/auth/verify-request.js';
import { NOW, SK, drain, errorCode, pieces, request, s3Throws, signer, toAuthInput, verify, type SmithyRequest } from './helpers.js';
import { buildChunked, signingKey, type ChainSigning, type ChunkedSpec } from './chunked-body.js';

const DATA = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
const CRC = 'x-amz-checksum-crc32';

type Mode =
  | 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
  | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
  | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';

/** Signs a streaming request with smithy and returns it with the chain parameters. */
async function streamingRequest(
  mode: Mode,
  extra: Record<string, string> = {},
  decodedLength = DATA.length,
): Promise<{ input: AuthInput; chain: ChainSigning }> {
  const headers: Record<string, string> = {
    'x-amz-content-sha256': mode,
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(decodedLength),
    'transfer-encoding': 'chunked',
    ...extra,
  };
  const signed = (await signer().sign(request('PUT', '/bucket/key', {}, headers) as never, { signingDate: NOW })) as unknown as SmithyRequest;
  const input = toAuthInput(signed);
  const seed = /Signature=([0-9a-f]{64})/.exec(String(input.headers.authorization))![1]!;
  return {
    input,
    chain: { key: signingKey(SK, '20130524'), amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seed },
  };
}

async function run(input: AuthInput, body: Buffer, pieceSize = 65536) {
  const v = verify(input, Readable.from(pieces(body, pieceSize)));
  const out = await drain(v.payload.body);
  return { ...out, payload: v.payload, code: errorCode(out.error) };
}

test('unsigned aws-chunked with a trailer (botocore over https), fed in awkward pieces', async () => {
  const { input } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-trailer': CRC });
  const { body } = buildChunked({ data: DATA, chunkSize: 65536, trailers: [[CRC, 'sOO8/Q==']] });
  for (const size of [1, 3, 1000, 65536, body.length]) {
    const r = await run(input, body, size);
    assert.equal(r.code, undefined, `piece size ${size}`);
    assert.ok(r.data.equals(DATA));
    assert.equal(r.payload.mode, 'streaming-unsigned-trailer');
    assert.equal(r.payload.length, DATA.length);
    assert.deepEqual(r.payload.declaredTrailers, [CRC]);
    assert.equal(r.payload.trailers.get(CRC), 'sOO8/Q==');
  }
});

test('unsigned trailer: whitespace around ":" and a missing trailer section are tolerated', async () => {
  const { input } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-trailer': CRC });
  const spaced = buildChunked({ data: DATA, chunkSize: 50000, rawTrailerLines: [`X-Amz-Checksum-CRC32 :  sOO8/Q== `] });
  const r1 = await run(input, spaced.body);
  assert.equal(r1.code, undefined);
  assert.equal(r1.payload.trailers.get(CRC), 'sOO8/Q==');

  const { input: noTrailer } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  for (const spec of [{ omitTrailerSection: true }, {}] as Partial<ChunkedSpec>[]) {
    const r = await run(noTrailer, buildChunked({ data: DATA, chunkSize: 65536, ...spec }).body);
    assert.equal(r.code, undefined);
    assert.ok(r.data.equals(DATA));
    assert.equal(r.payload.trailers.size, 0);
  }
});

test('signed chunks: round trip, and a flipped data byte stops before that chunk', async () => {
  const { input, chain } = await streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
  const { body } = buildChunked({ data: DATA, chunkSize: 65536, signing: chain });
  for (const size of [1, 777, 65536]) {
    const r = await run(input, body, size);
    assert.equal(r.code, undefined);
    assert.ok(r.data.equals(DATA));
  }
  // Flip a byte in the third chunk: only the first two chunks may come out.
  const tampered = Buffer.from(body);
  const third = tampered.indexOf(';chunk-signature=', 2 * 65536) + 90;
  tampered[third] = tampered[third]! ^ 0xff;
  const r = await run(input, tampered, 4096);
  assert.equal(r.code, 'SignatureDoesNotMatch');
  assert.equal(r.data.length, 2 * 65536);
  assert.ok(r.data.equals(DATA.subarray(0, 2 * 65536)));
});

test('signed chunks: a wrong seed (another request signature) or a reused chain fails', async () => {
  const { input, chain } = await streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
  const { body } = buildChunked({ data: DATA, chunkSize: 65536, signing: { ...chain, seed: 'f'.repeat(64) } });
  const r = await run(input, body);
  assert.equal(r.code, 'SignatureDoesNotMatch');
  assert.equal(r.data.length, 0);
  // Missing chunk-signature in signed mode is a framing error.
  const unsigned = buildChunked({ data: DATA, chunkSize: 65536 });
  assert.equal((await run(input, unsigned.body)).code, 'IncompleteBody');
});

test('signed chunks with a signed trailer', async () => {
  const { input, chain } = await streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { 'x-amz-trailer': 'x-amz-checksum-crc32c' });
  const trailers: [string, string][] = [['x-amz-checksum-crc32c', 'sOO8/Q==']];
  const good = buildChunked({ data: DATA, chunkSize: 65536, signing: chain, trailers, trailerSignature: true });
  const r = await run(input, good.body, 1000);
  assert.equal(r.code, undefined);
  assert.ok(r.data.equals(DATA));
  assert.equal(r.payload.trailers.get('x-amz-checksum-crc32c'), 'sOO8/Q==');

  // The trailer value changed after signing.
  const text = good.body.toString('latin1');
  const changed = Buffer.from(text.replace('sOO8/Q==', 'AAAAAA=='), 'latin1');
  const r2 = await run(input, changed);
  assert.equal(r2.code, 'SignatureDoesNotMatch');
  assert.equal(r2.payload.trailers.size, 0, 'unverified trailers are never exposed');
  // A bad trailer signature.
  const badSig = Buffer.from(text.replace(/x-amz-trailer-signature:[0-9a-f]{64}/, `x-amz-trailer-signature:${'0'.repeat(64)}`), 'latin1');
  assert.equal((await run(input, badSig)).code, 'SignatureDoesNotMatch');
  // No trailer signature at all: refused whether or not the body is properly terminated.
  const noSig = buildChunked({ data: DATA, chunkSize: 65536, signing: chain, trailers });
  assert.equal((await run(input, noSig.body)).code, 'SignatureDoesNotMatch');
  assert.equal((await run(input, noSig.body.subarray(0, noSig.body.length - 2))).code, 'IncompleteBody');
});

test('framing errors, truncation and length mismatches are IncompleteBody', async () => {
  const { input, chain } = await streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
  const { body } = buildChunked({ data: DATA, chunkSize: 65536, signing: chain });
  const { input: uInput } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const ubody = buildChunked({ data: DATA, chunkSize: 65536 }).body;

  for (const cut of [10, 70_000, body.length - 3]) assert.equal((await run(input, body.subarray(0, cut))).code, 'IncompleteBody');
  for (const cut of [3, 65540, 200_010]) assert.equal((await run(uInput, ubody.subarray(0, cut))).code, 'IncompleteBody');

  const badHex = Buffer.concat([Buffer.from('zz\r\n'), ubody]);
  assert.equal((await run(uInput, badHex)).code, 'IncompleteBody');
  // The CRLF after the first chunk's data replaced by a bare LF.
  const noCrlf = Buffer.concat([ubody.subarray(0, 7 + 65536), ubody.subarray(7 + 65536 + 1)]);
  assert.equal(ubody.subarray(0, 7).toString(), '10000\r\n');
  assert.equal((await run(uInput, noCrlf)).code, 'IncompleteBody');
  const garbageAfter = Buffer.concat([ubody, Buffer.from('extra')]);
  assert.equal((await run(uInput, garbageAfter)).code, 'IncompleteBody');
  const longLine = Buffer.concat([Buffer.from('1'.repeat(5000)), ubody]);
  assert.equal((await run(uInput, longLine)).code, 'IncompleteBody');

  // Decoded length header disagreeing with the body, either way.
  const { input: shortDecl } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER', {}, DATA.length - 1);
  assert.equal((await run(shortDecl, ubody)).code, 'IncompleteBody');
  const { input: longDecl } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER', {}, DATA.length + 1);
  assert.equal((await run(longDecl, ubody)).code, 'IncompleteBody');
});

test('streaming header rules: unsupported trailer, Content-Length / Transfer-Encoding', async () => {
  const { input } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-trailer': 'x-amz-checksum-md5' });
  const err = s3Throws(() => verify(input), 'InvalidRequest');
  assert.equal(err.message, 'The value specified in the x-amz-trailer header is not supported');

  const { input: ok } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const { 'transfer-encoding': _te, ...noLength } = ok.headers;
  assert.equal(s3Throws(() => verify({ ...ok, headers: noLength }), 'MissingContentLength').status, 411);
  // Content-Length instead of chunked transfer is fine too.
  const withLength = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'content-length': '999' });
  const { 'transfer-encoding': _te2, ...clOnly } = withLength.input.headers;
  assert.equal(verify({ ...withLength.input, headers: clOnly }).payload.mode, 'streaming-unsigned-trailer');
});

test('unsigned x-amz-decoded-content-length is refused (AWS-validated HeadersNotSigned)', async () => {
  const { input } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const auth = String(input.headers.authorization).replace(';x-amz-decoded-content-length', '');
  const err = s3Throws(() => verify({ ...input, headers: { ...input.headers, authorization: auth } }), 'AccessDenied');
  assert.equal(err.fields.HeadersNotSigned, 'x-amz-decoded-content-length');
});

test('decoder passes unsigned data without copying and respects backpressure', async () => {
  const source = Buffer.from(buildChunked({ data: DATA, chunkSize: 1 << 20 }).body);
  const decoder = new AwsChunkedDecoder({ trailer: true, decodedLength: DATA.length, trailers: new Map() });
  const outputs: Buffer[] = [];
  decoder.on('data', (b: Buffer) => outputs.push(b));
  for (const p of pieces(source, 65536)) decoder.write(p);
  decoder.end();
  await new Promise((resolve) => decoder.on('end', resolve));
  assert.ok(Buffer.concat(outputs).equals(DATA));
  for (const o of outputs) assert.equal(o.buffer, source.buffer, 'output is a view of the input');

  // Nobody reads: writes must start returning false instead of buffering everything.
  const idle = new AwsChunkedDecoder({ trailer: false, decodedLength: undefined, trailers: new Map() });
  const big = buildChunked({ data: Buffer.alloc(4 << 20), chunkSize: 1 << 20 }).body;
  let refused = false;
  for (const p of pieces(big, 65536)) {
    if (!idle.write(p)) {
      refused = true;
      break;
    }
  }
  assert.ok(refused);
  idle.destroy();
});

test('a failed body check does not destroy the request stream (the server still answers)', async () => {
  const { input, chain } = await streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
  const { body } = buildChunked({ data: DATA, chunkSize: 65536, signing: { ...chain, seed: '0'.repeat(64) } });
  const source = Readable.from(pieces(body, 65536));
  const v = verify(input, source);
  const { error } = await drain(v.payload.body);
  assert.equal(errorCode(error), 'SignatureDoesNotMatch');
  assert.equal(source.destroyed, false);
  source.destroy();
});

test('a source error reaches the consumer of payload.body', async () => {
  const { input } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const source = new Readable({ read() {} });
  const v = verify(input, source);
  const pending = drain(v.payload.body);
  source.push(Buffer.from('10\r\n0123'));
  source.destroy(new Error('aborted'));
  const { error } = await pending;
  assert.equal((error as Error).message, 'aborted');
});

test('a body error before anyone consumes payload.body is kept for a later pipeline()', async () => {
  const { input } = await streamingRequest('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const v = verify(input, Readable.from([Buffer.from('zz\r\n')]));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const { error } = await drain(v.payload.body);
  assert.equal(errorCode(error), 'IncompleteBody');
});

test('anonymous unsigned aws-chunked bodies are still decoded (no framing in objects)', async () => {
  const { body } = buildChunked({ data: DATA, chunkSize: 65536, trailers: [[CRC, 'sOO8/Q==']] });
  const input: AuthInput = {
    method: 'PUT',
    rawPath: '/bucket/k',
    rawQuery: '',
    headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'transfer-encoding': 'chunked', 'x-amz-trailer': CRC },
  };
  const r = await run(input, body);
  assert.equal(r.code, undefined);
  assert.ok(r.data.equals(DATA));
  assert.equal(r.payload.trailers.get(CRC), 'sOO8/Q==');
});
