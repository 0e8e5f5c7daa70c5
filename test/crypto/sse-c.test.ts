import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { customerKeyFrom } from '../../src/crypto/sse-c.js';
import { bindingOf, deriveKek, open, seal } from '../../src/crypto/envelope.js';
import { S3Error } from '../../src/errors/s3-error.js';

const P = 'x-amz-server-side-encryption-customer-';
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const key = randomBytes(32);
const good: IncomingHttpHeaders = { [`${P}algorithm`]: 'AES256', [`${P}key`]: key.toString('base64'), [`${P}key-md5`]: md5(key) };

function errorOf(headers: IncomingHttpHeaders, opts = { secure: true, forRead: false }): { code: string; status: number; message: string } {
  try {
    customerKeyFrom(headers, 'object', opts);
  } catch (err) {
    assert.ok(err instanceof S3Error);
    return { code: err.code, status: err.status, message: err.message };
  }
  assert.fail('no error');
}

describe('SSE-C request headers', () => {
  it('accepts a valid triple and echoes the key MD5', () => {
    const k = customerKeyFrom(good, 'object', { secure: true, forRead: false });
    assert.ok(k !== undefined);
    assert.deepEqual(k.key, key);
    assert.equal(k.md5, md5(key));
    k.wipe();
    assert.ok(k.key.every((b) => b === 0));
  });

  it('no triple: nothing to do; copy-source headers are a separate triple', () => {
    assert.equal(customerKeyFrom({}, 'object', { secure: false, forRead: false }), undefined);
    assert.equal(customerKeyFrom(good, 'copySource', { secure: false, forRead: false }), undefined);
  });

  it("validates in Amazon's order with Amazon's errors (§2.3)", () => {
    const rows: [IncomingHttpHeaders, string, number, RegExp][] = [
      [{ ...good, 'x-amz-server-side-encryption': 'AES256', [`${P}algorithm`]: 'KMS' }, 'InvalidArgument', 400, /incompatible with the encryption method/],
      [{ ...good, [`${P}algorithm`]: 'AES192' }, 'InvalidEncryptionAlgorithmError', 400, /Supported value: AES256/],
      [{ ...good, [`${P}algorithm`]: undefined }, 'InvalidArgument', 400, /valid encryption algorithm/],
      [{ ...good, [`${P}key`]: undefined }, 'InvalidArgument', 400, /appropriate secret key/],
      [{ ...good, [`${P}key`]: randomBytes(16).toString('base64') }, 'InvalidArgument', 400, /secret key was invalid/],
      [{ ...good, [`${P}key`]: 'not base64!' }, 'InvalidArgument', 400, /secret key was invalid/],
      [{ ...good, [`${P}key-md5`]: undefined }, 'InvalidArgument', 400, /client calculated MD5/],
      [{ ...good, [`${P}key-md5`]: md5(randomBytes(32)) }, 'InvalidArgument', 400, /calculated MD5 hash of the key did not match/],
    ];
    for (const [headers, code, status, message] of rows) {
      for (const h of Object.keys(headers)) if (headers[h] === undefined) delete headers[h];
      const e = errorOf(headers);
      assert.equal(e.code, code, JSON.stringify(e));
      assert.equal(e.status, status);
      assert.match(e.message, message);
      assert.ok(!e.message.includes(String(headers[`${P}key`])), 'the key never appears in a message');
    }
  });

  it('plain HTTP is refused before anything else', () => {
    const e = errorOf({ ...good, [`${P}algorithm`]: 'AES192' }, { secure: false, forRead: false });
    assert.equal(e.code, 'InvalidRequest');
    assert.match(e.message, /secure connection/);
  });

  it('on reads a key of another length passes validation (the unseal then answers 403)', () => {
    const long = randomBytes(44);
    const k = customerKeyFrom({ ...good, [`${P}key`]: long.toString('base64'), [`${P}key-md5`]: md5(long) }, 'object', { secure: true, forRead: true });
    assert.equal(k?.key.length, 44);
  });
});

describe('envelope', () => {
  it('a sealed value opens only with its key and its binding', () => {
    const kek = deriveKek(key, randomBytes(32), bindingOf('x', 'bucket', 'key'));
    const dek = randomBytes(32);
    const sealed = seal(kek, dek, bindingOf('bucket', 'key'));
    assert.deepEqual(open(kek, sealed, bindingOf('bucket', 'key')), dek);
    assert.equal(open(kek, sealed, bindingOf('bucket', 'key2')), undefined);
    assert.equal(open(kek, sealed, bindingOf('bucketk', 'ey')), undefined);
    assert.equal(open(randomBytes(32), sealed, bindingOf('bucket', 'key')), undefined);
    assert.equal(open(kek, sealed.subarray(0, 10), bindingOf('bucket', 'key')), undefined);
  });
});
