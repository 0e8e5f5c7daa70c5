import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { incompleteBody, xAmzContentSha256Mismatch } from '../errors/s3-error.js';

const PIECE = 64 * 1024;

/**
 * Passes the body through unchanged while hashing it; at the end the hex SHA-256 must equal
 * the x-amz-content-sha256 value (else XAmzContentSHA256Mismatch), and the byte count the
 * Content-Length when one was given (else IncompleteBody). Consumers using pipeline() thus
 * never commit a body whose hash is wrong.
 */
export class PayloadHashVerifier extends Transform {
  readonly #hash = createHash('sha256');
  readonly #expected: string;
  readonly #expectedLength: number | undefined;
  #bytes = 0;

  constructor(expectedHex: string, expectedLength: number | undefined) {
    super({ readableHighWaterMark: PIECE, writableHighWaterMark: PIECE });
    this.#expected = expectedHex;
    this.#expectedLength = expectedLength;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expectedLength !== undefined && this.#bytes !== this.#expectedLength) {
      callback(incompleteBody());
      return;
    }
    const computed = this.#hash.digest('hex');
    callback(computed === this.#expected ? null : xAmzContentSha256Mismatch(this.#expected, computed));
  }
}
