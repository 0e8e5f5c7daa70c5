/**
 * `aws kms … --endpoint-url` (AWS CLI v1, botocore) against the built-in KMS: create-key,
 * create-alias, describe-key, encrypt/decrypt, disable-key, schedule-key-deletion, and how
 * an error reaches the CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRANSPORTS, clientEnv, runAws, startServer, type TestServer } from './harness.js';

for (const transport of TRANSPORTS) {
  describe(`aws kms over ${transport.name}`, () => {
    let server: TestServer;
    let env: NodeJS.ProcessEnv;
    let work: string;
    before(async () => {
      server = await startServer({ http: transport.http });
      env = clientEnv(server, server.root);
      work = mkdtempSync(join(tmpdir(), 'sb-kms-cli-'));
    });
    after(async () => {
      if (work) rmSync(work, { recursive: true, force: true });
      await server?.stop();
    });

    const aws = async (...args: string[]): Promise<Record<string, unknown>> => {
      const r = await runAws(server, ['kms', ...args], env);
      assert.equal(r.code, 0, `aws kms ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
      return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
    };
    const meta = (out: Record<string, unknown>) => out['KeyMetadata'] as Record<string, unknown>;

    it('create-key, create-alias, describe-key, encrypt and decrypt', async () => {
      const created = meta(await aws('create-key', '--description', 'made by the aws cli'));
      const keyId = String(created['KeyId']);
      assert.equal(created['Arn'], `arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
      assert.equal(created['Description'], 'made by the aws cli');
      assert.equal(typeof created['CreationDate'], 'number', 'the CLI prints epoch seconds');

      assert.deepEqual(await aws('create-alias', '--alias-name', `alias/cli-${transport.name}`, '--target-key-id', keyId), {});
      const described = meta(await aws('describe-key', '--key-id', `alias/cli-${transport.name}`));
      assert.equal(described['KeyId'], keyId);
      assert.equal(described['KeyState'], 'Enabled');
      assert.equal(described['KeyManager'], 'CUSTOMER');

      writeFileSync(join(work, 'plain.txt'), 'hello from the cli');
      const enc = await runAws(server, ['kms', 'encrypt', '--key-id', `alias/cli-${transport.name}`, '--plaintext', `fileb://${join(work, 'plain.txt')}`,
        '--encryption-context', 'purpose=cli', '--query', 'CiphertextBlob', '--output', 'text'], env);
      assert.equal(enc.code, 0, enc.stderr);
      writeFileSync(join(work, 'blob.bin'), Buffer.from(enc.stdout.trim(), 'base64'));
      const r = await runAws(server, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${join(work, 'blob.bin')}`,
        '--encryption-context', 'purpose=cli', '--query', 'Plaintext', '--output', 'text'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(Buffer.from(r.stdout.trim(), 'base64').toString(), readFileSync(join(work, 'plain.txt'), 'utf8'));
    });

    it('disable-key, then schedule-key-deletion --pending-window-in-days 7 shows in describe-key', async () => {
      const keyId = String(meta(await aws('create-key'))['KeyId']);
      assert.deepEqual(await aws('disable-key', '--key-id', keyId), {});
      assert.equal(meta(await aws('describe-key', '--key-id', keyId))['KeyState'], 'Disabled');
      const before = Date.now() / 1000;
      const scheduled = await aws('schedule-key-deletion', '--key-id', keyId, '--pending-window-in-days', '7');
      assert.equal(scheduled['KeyId'], `arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
      assert.equal(scheduled['KeyState'], 'PendingDeletion');
      assert.equal(scheduled['PendingWindowInDays'], 7);
      const inDays = (Number(scheduled['DeletionDate']) - before) / 86_400;
      assert.ok(inDays > 6.99 && inDays < 7.01, `deletion in ${inDays} days`);
      const described = meta(await aws('describe-key', '--key-id', keyId));
      assert.equal(described['KeyState'], 'PendingDeletion');
      assert.equal(described['DeletionDate'], scheduled['DeletionDate']);
      assert.equal(described['Enabled'], false);
    });

    it('errors reach the CLI with the KMS exception name and message', async () => {
      const r = await runAws(server, ['kms', 'describe-key', '--key-id', 'fake-key-id'], env);
      assert.notEqual(r.code, 0);
      // botocore adds "(reached max retries: 0)" when AWS_MAX_ATTEMPTS is 1.
      assert.match(r.stderr, /An error occurred \(NotFoundException\) when calling the DescribeKey operation( \(reached max retries: \d+\))?: Invalid keyId 'fake-key-id'/);
      const s = await runAws(server, ['kms', 'schedule-key-deletion', '--key-id', 'alias/aws/s3', '--pending-window-in-days', '7'], env);
      assert.notEqual(s.code, 0);
      assert.match(s.stderr, /\(AccessDeniedException\) when calling the ScheduleKeyDeletion operation( \(reached max retries: \d+\))?: User: arn:aws:iam::000000000000:root is not authorized to perform: kms:ScheduleKeyDeletion/);
    });
  });
}
