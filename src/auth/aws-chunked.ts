import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { incompleteBody, signatureDoesNotMatch } from '../errors/s3-error.js';
import {
  CHUNK_ALGORITHM,
  CHUNK_SIGNATURE_EXT,
  EMPTY_SHA256,
  MAX_LINE_BYTES,
  MAX_SIGNED_CHUNK_BYTES,
  MAX_TRAILER_BYTES,
  TRAILER_ALGORITHM,
  TRAILER_SIGNATURE,
} from './constants.js';
import { sha256Hex } from './canonical-request.js';
import { hmacSha256, signatureMatches } from './signing-key.js';

/** What the signed modes need to check the chunk chain (§9.3). */
export interface ChunkSigning {
  readonly accessKeyId: string;
  readonly signingKey: Buffer;
  readonly amzDate: string;
  readonly scope: string;
  /** The request's own signature, which the first chunk signature chains from. */
  readonly seedSignature: string;
}

export interface AwsChunkedOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: every chunk is verified. */
  readonly signing?: ChunkSigning | undefined;
  /** A trailer section may follow the final chunk (the -TRAILER modes). */
  readonly trailer: boolean;
  /** x-amz-decoded-content-length, when sent: the decoded body must be exactly this long. */
  readonly decodedLength: number | undefined;
  /** Receives the trailer values (lower-case names) once they are parsed and verified. */
  readonly trailers: Map<string, string>;
}

const HEADER = 0;
const DATA = 1;
const DATA_CR = 2;
const DATA_LF = 3;
const TRAILER = 4;
const DONE = 5;
type State = typeof HEADER | typeof DATA | typeof DATA_CR | typeof DATA_LF | typeof TRAILER | typeof DONE;

const CR = 0x0d;
const LF = 0x0a;
const HEX_SIZE = /^[0-9a-fA-F]{1,16}$/;
const PIECE = 64 * 1024;

/**
 * Decodes an `aws-chunked` body (§9.3) into the plain object bytes.
 *
 * Data slices of the incoming buffers are passed on without copying. In the signed modes
 * the slices of one chunk are held (and hashed as they arrive) until that chunk's
 * signature has been checked, so no unverified byte ever leaves the decoder. Only the
 * short header and trailer lines are ever copied. Errors are S3Errors: IncompleteBody for
 * framing and length problems, SignatureDoesNotMatch for a broken chain.
 */
export class AwsChunkedDecoder extends Transform {
  readonly #signing: ChunkSigning | undefined;
  readonly #trailerMode: boolean;
  readonly #decodedLength: number | undefined;
  readonly #trailers: Map<string, string>;

  #state: State = HEADER;
  /** Pieces of the current header or trailer line (no LF found yet). */
  #line: Buffer[] = [];
  #lineBytes = 0;
  #trailerBytes = 0;
  /** Bytes of chunk data still to come in the current chunk. */
  #remaining = 0;
  #decoded = 0;
  #chunkSignature: string | undefined;
  #previousSignature: string;
  #hash: Hash | undefined;
  #held: Buffer[] = [];
  #trailerLines: [string, string][] = [];
  #trailerSignature: string | undefined;

  constructor(opts: AwsChunkedOptions) {
    super({ readableHighWaterMark: PIECE, writableHighWaterMark: PIECE });
    this.#signing = opts.signing;
    this.#trailerMode = opts.trailer;
    this.#decodedLength = opts.decodedLength;
    this.#trailers = opts.trailers;
    this.#previousSignature = opts.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#end();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  #consume(buf: Buffer): void {
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      switch (this.#state) {
        case HEADER:
        case TRAILER: {
          const lf = buf.indexOf(LF, pos);
          this.#appendLine(buf, pos, lf === -1 ? len : lf);
          if (lf === -1) return;
          pos = lf + 1;
          const line = this.#takeLine();
          if (this.#state === HEADER) this.#onChunkHeader(line);
          else this.#onTrailerLine(line);
          break;
        }
        case DATA: {
          const n = Math.min(this.#remaining, len - pos);
          const slice = buf.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          if (this.#signing === undefined) {
            this.push(slice);
          } else {
            this.#hash?.update(slice);
            this.#held.push(slice);
          }
          if (this.#remaining === 0) {
            this.#endChunkData();
            this.#state = DATA_CR;
          }
          break;
        }
        case DATA_CR:
          if (buf[pos++] !== CR) throw incompleteBody();
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (buf[pos++] !== LF) throw incompleteBody();
          this.#state = HEADER;
          break;
        case DONE:
          // Bytes after the terminating empty line.
          throw incompleteBody();
      }
    }
  }

  #appendLine(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.#lineBytes += end - start;
    if (this.#lineBytes > MAX_LINE_BYTES) throw incompleteBody();
    this.#line.push(buf.subarray(start, end));
  }

  /** The line collected so far, without its CRLF. Every line must end with CRLF. */
  #takeLine(): string {
    const bytes = this.#line.length === 1 ? this.#line[0]! : Buffer.concat(this.#line, this.#lineBytes);
    const n = this.#lineBytes;
    this.#line = [];
    this.#lineBytes = 0;
    if (this.#state === TRAILER) {
      this.#trailerBytes += n + 1;
      if (this.#trailerBytes > MAX_TRAILER_BYTES) throw incompleteBody();
    }
    if (n === 0 || bytes[n - 1] !== CR) throw incompleteBody();
    return bytes.toString('utf8', 0, n - 1);
  }

  /** `<hex-size>[;chunk-signature=<64 hex>][;other extensions]` */
  #onChunkHeader(line: string): void {
    const semi = line.indexOf(';');
    const sizeHex = semi === -1 ? line : line.slice(0, semi);
    if (!HEX_SIZE.test(sizeHex)) throw incompleteBody();
    const size = parseInt(sizeHex, 16);
    if (!Number.isSafeInteger(size)) throw incompleteBody();
    let signature: string | undefined;
    if (semi !== -1) {
      for (const ext of line.slice(semi + 1).split(';')) {
        const e = ext.trim();
        if (e.startsWith(CHUNK_SIGNATURE_EXT)) signature = e.slice(CHUNK_SIGNATURE_EXT.length);
      }
    }
    if (this.#signing !== undefined) {
      if (signature === undefined) throw incompleteBody();
      if (size > MAX_SIGNED_CHUNK_BYTES) throw incompleteBody();
    }
    this.#decoded += size;
    if (this.#decodedLength !== undefined && this.#decoded > this.#decodedLength) throw incompleteBody();
    this.#chunkSignature = signature;
    if (size === 0) {
      // The final chunk is signed too (its data hash is the empty-string hash).
      if (this.#signing !== undefined) this.#verifyChunk(EMPTY_SHA256);
      this.#state = TRAILER;
      return;
    }
    this.#remaining = size;
    if (this.#signing !== undefined) this.#hash = createHash('sha256');
    this.#state = DATA;
  }

  #endChunkData(): void {
    if (this.#signing === undefined || this.#hash === undefined) return;
    this.#verifyChunk(this.#hash.digest('hex'));
    this.#hash = undefined;
    const held = this.#held;
    this.#held = [];
    for (const slice of held) this.push(slice);
  }

  #verifyChunk(dataHash: string): void {
    const s = this.#signing!;
    const provided = this.#chunkSignature ?? '';
    const stringToSign = `${CHUNK_ALGORITHM}\n${s.amzDate}\n${s.scope}\n${this.#previousSignature}\n${EMPTY_SHA256}\n${dataHash}`;
    if (!signatureMatches(hmacSha256(s.signingKey, stringToSign), provided)) {
      throw signatureDoesNotMatch({
        AWSAccessKeyId: s.accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: provided,
      });
    }
    this.#previousSignature = provided;
  }

  /** `name:value` (whitespace around `:` tolerated), or the empty line that ends the body. */
  #onTrailerLine(line: string): void {
    if (line === '') {
      this.#finish();
      this.#state = DONE;
      return;
    }
    if (!this.#trailerMode) throw incompleteBody();
    const colon = line.indexOf(':');
    if (colon <= 0) throw incompleteBody();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) {
      this.#trailerSignature = value;
    } else {
      this.#trailerLines.push([name, value]);
      if (this.#signing === undefined) this.#trailers.set(name, value);
    }
  }

  /** End of input: accepted right after the final chunk or after complete trailer lines. */
  #end(): void {
    if (this.#state === DONE) return;
    if (this.#state !== TRAILER || this.#lineBytes > 0) throw incompleteBody();
    // A missing trailer section (or missing final CRLF) is tolerated (§9.3), except that
    // the signed-trailer mode must still carry its trailer signature.
    if (this.#signing !== undefined && this.#trailerMode && this.#trailerSignature === undefined) {
      throw incompleteBody();
    }
    this.#finish();
  }

  #finish(): void {
    const s = this.#signing;
    if (s !== undefined && this.#trailerMode) {
      const provided = this.#trailerSignature ?? '';
      const canonical = this.#trailerLines.map(([n, v]) => `${n}:${v}\n`).join('');
      const stringToSign = `${TRAILER_ALGORITHM}\n${s.amzDate}\n${s.scope}\n${this.#previousSignature}\n${sha256Hex(canonical)}`;
      if (!signatureMatches(hmacSha256(s.signingKey, stringToSign), provided)) {
        throw signatureDoesNotMatch({
          AWSAccessKeyId: s.accessKeyId,
          StringToSign: stringToSign,
          SignatureProvided: provided,
        });
      }
      for (const [n, v] of this.#trailerLines) this.#trailers.set(n, v);
    }
    if (this.#decodedLength !== undefined && this.#decoded !== this.#decodedLength) throw incompleteBody();
  }
}
