/** Key references as AWS KMS takes them, with AWS's NotFoundException messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyRef } from '../../src/kms/builtin/arn.js';
import { KmsError } from '../../src/kms/types.js';

const SCOPE = { region: 'us-east-1', accountId: '123456789012' };
const ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

function fails(ref: string, message: string): void {
  assert.throws(
    () => parseKeyRef(SCOPE, ref),
    (err: unknown) => err instanceof KmsError && err.type === 'NotFoundException' && err.message === message && err.status === 400,
    ref,
  );
}

describe('KMS key references', () => {
  it('accept key ids, key ARNs, alias names and alias ARNs', () => {
    assert.deepEqual(parseKeyRef(SCOPE, ID), { kind: 'key', keyId: ID });
    assert.deepEqual(parseKeyRef(SCOPE, `arn:aws:kms:us-east-1:123456789012:key/${ID}`), { kind: 'key', keyId: ID });
    assert.deepEqual(parseKeyRef(SCOPE, 'alias/my-key'), { kind: 'alias', name: 'alias/my-key' });
    assert.deepEqual(parseKeyRef(SCOPE, 'alias/aws/s3'), { kind: 'alias', name: 'alias/aws/s3' });
    assert.deepEqual(parseKeyRef(SCOPE, 'arn:aws:kms:us-east-1:123456789012:alias/my-key'), { kind: 'alias', name: 'alias/my-key' });
  });

  it('call anything else an invalid key id', () => {
    fails('fake-key-id', "Invalid keyId 'fake-key-id'");
    fails('134f2428cec14b25a1ae9048164dba47', "Invalid keyId '134f2428cec14b25a1ae9048164dba47'");
    fails('key/' + ID, `Invalid keyId 'key/${ID}'`);
    fails(`arn:aws:kms:us-east-1:123456789012:key/not-a-uuid`, "Invalid keyId 'arn:aws:kms:us-east-1:123456789012:key/not-a-uuid'");
    fails(`arn:aws:s3:::bucket`, "Invalid keyId 'arn:aws:s3:::bucket'");
  });

  it('refuse ARNs of another region or account', () => {
    fails(`arn:aws:kms:eu-west-1:123456789012:key/${ID}`, 'Invalid arn eu-west-1');
    fails('arn:aws:kms:eu-west-1:123456789012:alias/x', 'Invalid arn eu-west-1');
    fails(`arn:aws:kms:us-east-1:999999999999:key/${ID}`, `Key 'arn:aws:kms:us-east-1:999999999999:key/${ID}' does not exist`);
    fails('arn:aws:kms:us-east-1:999999999999:alias/x', 'Alias arn:aws:kms:us-east-1:999999999999:alias/x is not found.');
  });
});
