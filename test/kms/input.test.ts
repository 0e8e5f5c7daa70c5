import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Input } from '../../src/kms/api/input.js';
import { canonicalContext } from '../../src/kms/builtin/ciphertext.js';
import type { JsonObject } from '../../src/kms/types.js';

// Found by test/fuzz/kms-input.fuzz.test.ts: the context was copied with `out[k] = v`, which for
// the key "__proto__" sets the prototype instead, so the pair vanished and a ciphertext bound
// to {"__proto__": "tenant-a"} opened with an empty context.
test('an EncryptionContext key named __proto__ is kept and binds the ciphertext (fuzz: context key dropped)', () => {
  const read = (json: string) => new Input(JSON.parse(json) as JsonObject).context('EncryptionContext');
  const ctx = read('{"EncryptionContext": {"__proto__": "tenant-a", "b": "1"}}');
  assert.deepEqual(Object.entries(ctx), [['__proto__', 'tenant-a'], ['b', '1']]);
  assert.equal(Object.getPrototypeOf(ctx), Object.prototype);
  assert.ok(!canonicalContext(ctx).equals(canonicalContext(read('{"EncryptionContext": {"b": "1"}}'))));
});
