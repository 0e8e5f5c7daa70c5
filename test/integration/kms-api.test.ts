/**
 * The built-in KMS's AWS KMS JSON API on the real server, driven by @aws-sdk/client-kms over
 * HTTPS and HTTP: keys, aliases, states, deletion windows, rotation, the cryptographic calls,
 * AWS's error types and messages, signature checks for service `kms`, and a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { TRANSPORTS, signedRequest, startServer, type TestServer } from './harness.js';
import { expectKmsError, kmsApiClient, kmsRaw } from './fixtures/kms-api.js';

const ACCOUNT = '000000000000';
const arnOf = (id: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:key/${id}`;
const b = (s: string) => Buffer.from(s);

async function newKey(kms: KMSClient, description = 'test key'): Promise<{ id: string; arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: description }));
  assert.ok(KeyMetadata?.KeyId !== undefined && KeyMetadata.Arn !== undefined);
  return { id: KeyMetadata.KeyId, arn: KeyMetadata.Arn };
}

for (const transport of TRANSPORTS) {
  describe(`KMS JSON API over ${transport.name}`, () => {
    let server: TestServer;
    let kms: KMSClient;
    before(async () => {
      server = await startServer({ http: transport.http, extraArgs: ['--kms-alias', 'testkey-1', '--kms-alias', 'testkey-2'] });
      kms = kmsApiClient(server, server.root);
    });
    after(async () => {
      kms?.destroy();
      await server?.stop();
    });

    it('--kms-alias made customer keys behind alias/testkey-1 and alias/testkey-2', async () => {
      for (const name of ['testkey-1', 'testkey-2']) {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: `alias/${name}` }));
        assert.equal(KeyMetadata?.KeyManager, 'CUSTOMER');
        assert.equal(KeyMetadata?.KeyState, 'Enabled');
        assert.match(server.output(), new RegExp(`KMS key alias/${name} \\(created\\): ${KeyMetadata?.Arn}`));
      }
    });

    it('CreateKey and DescribeKey give AWS KeyMetadata; ListKeys pages with Limit and Marker', async () => {
      const created = await kms.send(new CreateKeyCommand({ Description: 'describe me', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' }));
      const md = created.KeyMetadata!;
      assert.match(md.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(md.Arn, arnOf(md.KeyId!));
      assert.equal(md.AWSAccountId, ACCOUNT);
      assert.ok(md.CreationDate instanceof Date && Math.abs(md.CreationDate.getTime() - Date.now()) < 600_000);
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: md.Arn }))).KeyMetadata!;
      for (const k of ['KeyId', 'Arn', 'Description', 'KeyUsage', 'KeyState', 'Origin', 'KeyManager', 'KeySpec', 'CustomerMasterKeySpec', 'MultiRegion', 'Enabled'] as const) {
        assert.deepEqual(described[k], md[k], k);
      }
      assert.equal(described.Description, 'describe me');
      assert.equal(described.Enabled, true);
      assert.equal(described.KeyState, 'Enabled');
      assert.equal(described.Origin, 'AWS_KMS');
      assert.equal(described.KeyManager, 'CUSTOMER');
      assert.equal(described.KeySpec, 'SYMMETRIC_DEFAULT');
      assert.deepEqual(described.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
      assert.equal(described.MultiRegion, false);
      assert.equal(described.DeletionDate, undefined);

      await newKey(kms);
      const all = (await kms.send(new ListKeysCommand({}))).Keys!;
      assert.ok(all.length >= 4);
      assert.ok(all.some((k) => k.KeyId === md.KeyId && k.KeyArn === md.Arn));
      const seen: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await kms.send(new ListKeysCommand({ Limit: 1, ...(marker === undefined ? {} : { Marker: marker }) }));
        seen.push(...page.Keys!.map((k) => k.KeyId!));
        if (page.Truncated !== true) break;
        marker = page.NextMarker;
      }
      assert.deepEqual(seen, all.map((k) => k.KeyId));
      await expectKmsError(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })), 'UnsupportedOperationException');
    });

    it('aliases: create, list (all or by key), update, delete, with AWS errors', async () => {
      const k1 = await newKey(kms);
      const k2 = await newKey(kms);
      const name = `alias/app-${transport.name}`;
      await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: k1.id }));
      const ofK1 = (await kms.send(new ListAliasesCommand({ KeyId: k1.arn }))).Aliases!;
      assert.equal(ofK1.length, 1);
      assert.equal(ofK1[0]?.AliasName, name);
      assert.equal(ofK1[0]?.AliasArn, `arn:aws:kms:us-east-1:${ACCOUNT}:${name}`);
      assert.equal(ofK1[0]?.TargetKeyId, k1.id);
      assert.ok(ofK1[0]?.CreationDate instanceof Date);
      const listed = (await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
      assert.ok(listed.includes(name) && listed.includes('alias/testkey-1') && listed.includes('alias/aws/s3'));

      await expectKmsError(kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: k2.id })), 'AlreadyExistsException',
        `An alias with the name arn:aws:kms:us-east-1:${ACCOUNT}:${name} already exists`);
      await expectKmsError(kms.send(new CreateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: k2.id })), 'ValidationException',
        'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
      await expectKmsError(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: k2.id })), 'NotAuthorizedException');
      await expectKmsError(kms.send(new CreateAliasCommand({ AliasName: 'alias/other', TargetKeyId: name })), 'ValidationException', 'Aliases must refer to keys. Not aliases');

      await kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: k2.arn }));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: name }))).KeyMetadata?.KeyId, k2.id);
      assert.equal((await kms.send(new ListAliasesCommand({ KeyId: k1.id }))).Aliases?.length, 0);
      await kms.send(new DeleteAliasCommand({ AliasName: name }));
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: name })), 'NotFoundException', `Alias arn:aws:kms:us-east-1:${ACCOUNT}:${name} is not found.`);
      await expectKmsError(kms.send(new DeleteAliasCommand({ AliasName: name })), 'NotFoundException', `Alias arn:aws:kms:us-east-1:${ACCOUNT}:${name} is not found.`);
    });

    it('GenerateDataKey, Encrypt, Decrypt and ReEncrypt round-trip with encryption contexts', async () => {
      const k1 = await newKey(kms);
      const k2 = await newKey(kms);
      const ctx = { purpose: 'test', 'aws:s3:arn': 'arn:aws:s3:::bucket/key' };
      const g = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/testkey-1', KeySpec: 'AES_256', EncryptionContext: ctx }));
      const t1 = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata!;
      assert.equal(g.KeyId, t1.Arn, 'responses name the key by ARN even for an alias');
      assert.equal(g.Plaintext?.length, 32);
      const d = await kms.send(new DecryptCommand({ CiphertextBlob: g.CiphertextBlob, EncryptionContext: ctx }));
      assert.deepEqual(Buffer.from(d.Plaintext!), Buffer.from(g.Plaintext));
      assert.equal(d.KeyId, t1.Arn);
      assert.equal(d.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      assert.equal(d.KeyMaterialId, t1.CurrentKeyMaterialId);

      const n16 = await kms.send(new GenerateDataKeyCommand({ KeyId: k1.id, KeySpec: 'AES_128' }));
      assert.equal(n16.Plaintext?.length, 16);
      const n7 = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: k1.id, NumberOfBytes: 7 }));
      assert.equal((n7 as { Plaintext?: unknown }).Plaintext, undefined);
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: n7.CiphertextBlob }))).Plaintext!).length, 7);

      const e = await kms.send(new EncryptCommand({ KeyId: k1.arn, Plaintext: b('secret message'), EncryptionContext: { a: 'b' } }));
      assert.equal(e.KeyId, k1.arn);
      assert.equal(e.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      const re = await kms.send(new ReEncryptCommand({
        CiphertextBlob: e.CiphertextBlob,
        SourceEncryptionContext: { a: 'b' },
        DestinationKeyId: k2.id,
        DestinationEncryptionContext: { c: 'd' },
      }));
      assert.equal(re.SourceKeyId, k1.arn);
      assert.equal(re.KeyId, k2.arn);
      const back = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { c: 'd' }, KeyId: k2.id }));
      assert.equal(Buffer.from(back.Plaintext!).toString(), 'secret message');

      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: g.CiphertextBlob })), 'InvalidCiphertextException');
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: g.CiphertextBlob, EncryptionContext: { ...ctx, purpose: 'other' } })), 'InvalidCiphertextException');
      const damaged = Buffer.from(g.CiphertextBlob!);
      damaged[40]! ^= 1;
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: damaged, EncryptionContext: ctx })), 'InvalidCiphertextException');
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: b('not a ciphertext blob at all, just some bytes that are long enough to parse maybe') })), 'InvalidCiphertextException');
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { a: 'b' }, KeyId: k2.id })), 'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.');
      await expectKmsError(kms.send(new ReEncryptCommand({ CiphertextBlob: e.CiphertextBlob, SourceEncryptionContext: { a: 'b' }, SourceKeyId: k2.id, DestinationKeyId: k1.id })),
        'IncorrectKeyException');
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: k1.id, Plaintext: Buffer.alloc(4097) })), 'ValidationException',
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096");
      await expectKmsError(kms.send(new GenerateDataKeyCommand({ KeyId: k1.id, NumberOfBytes: 1025 })), 'ValidationException',
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024");
    });

    it('not-found errors say what AWS says', async () => {
      const unknown = '11111111-2222-4333-8444-555555555555';
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: 'fake-key-id' })), 'NotFoundException', "Invalid keyId 'fake-key-id'");
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: unknown })), 'NotFoundException', `Key '${arnOf(unknown)}' does not exist`);
      await expectKmsError(kms.send(new GenerateDataKeyCommand({ KeyId: arnOf(unknown), KeySpec: 'AES_256' })), 'NotFoundException', `Key '${arnOf(unknown)}' does not exist`);
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: 'alias/x', Plaintext: b('x') })), 'NotFoundException', `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/x is not found.`);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${unknown}` })), 'NotFoundException', 'Invalid arn eu-west-1');
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:999999999999:key/${unknown}` })), 'NotFoundException');
    });

    it('disable and enable: a disabled key refuses every cryptographic call', async () => {
      const k = await newKey(kms);
      const e = await kms.send(new EncryptCommand({ KeyId: k.id, Plaintext: b('x') }));
      await kms.send(new DisableKeyCommand({ KeyId: k.id }));
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: k.id }))).KeyMetadata!;
      assert.equal(md.KeyState, 'Disabled');
      assert.equal(md.Enabled, false);
      const disabled = `${k.arn} is disabled.`;
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: k.id, Plaintext: b('x') })), 'DisabledException', disabled);
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob })), 'DisabledException', disabled);
      await expectKmsError(kms.send(new GenerateDataKeyCommand({ KeyId: k.id, KeySpec: 'AES_256' })), 'DisabledException', disabled);
      await kms.send(new EnableKeyCommand({ KeyId: k.id }));
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob }))).Plaintext!).toString(), 'x');
    });

    it('ScheduleKeyDeletion takes 7–30 days, blocks the key, and CancelKeyDeletion leaves it Disabled', async () => {
      const k = await newKey(kms);
      const e = await kms.send(new EncryptCommand({ KeyId: k.id, Plaintext: b('x') }));
      for (const days of [6, 31]) {
        await expectKmsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.id, PendingWindowInDays: days })), 'ValidationException',
          `PendingWindowInDays should be between 7 and 30, but it is ${days}`);
      }
      const t0 = Date.now();
      const s = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.id, PendingWindowInDays: 7 }));
      assert.equal(s.KeyId, k.arn);
      assert.equal(s.KeyState, 'PendingDeletion');
      assert.equal(s.PendingWindowInDays, 7);
      const days = (s.DeletionDate!.getTime() - t0) / 86_400_000;
      assert.ok(days > 6.99 && days < 7.01, `deletion in ${days} days`);
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: k.id }))).KeyMetadata!;
      assert.equal(md.KeyState, 'PendingDeletion');
      assert.equal(md.DeletionDate?.getTime(), s.DeletionDate?.getTime());
      const pending = `${k.arn} is pending deletion.`;
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob })), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: k.id, Plaintext: b('x') })), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new EnableKeyCommand({ KeyId: k.id })), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.id })), 'KMSInvalidStateException', pending);

      const c = await kms.send(new CancelKeyDeletionCommand({ KeyId: k.id }));
      assert.equal(c.KeyId, k.arn);
      const after = (await kms.send(new DescribeKeyCommand({ KeyId: k.id }))).KeyMetadata!;
      assert.equal(after.KeyState, 'Disabled');
      assert.equal(after.DeletionDate, undefined);
      await expectKmsError(kms.send(new CancelKeyDeletionCommand({ KeyId: k.id })), 'KMSInvalidStateException', `${k.arn} is not pending deletion.`);
      await kms.send(new EnableKeyCommand({ KeyId: k.id }));
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob }))).Plaintext!).toString(), 'x');
    });

    it('rotation: on demand, old ciphertexts still decrypt and new ones use the new material', async () => {
      const k = await newKey(kms);
      const before = (await kms.send(new DescribeKeyCommand({ KeyId: k.id }))).KeyMetadata!.CurrentKeyMaterialId;
      const old = await kms.send(new EncryptCommand({ KeyId: k.id, Plaintext: b('old') }));
      assert.equal((await kms.send(new RotateKeyOnDemandCommand({ KeyId: k.id }))).KeyId, k.arn);
      const now = (await kms.send(new DescribeKeyCommand({ KeyId: k.id }))).KeyMetadata!.CurrentKeyMaterialId;
      assert.notEqual(now, before);
      const fresh = await kms.send(new GenerateDataKeyCommand({ KeyId: k.id, KeySpec: 'AES_256' }));
      assert.equal(fresh.KeyMaterialId, now);
      const oldBack = await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }));
      assert.equal(Buffer.from(oldBack.Plaintext!).toString(), 'old');
      assert.equal(oldBack.KeyMaterialId, before);
      assert.equal((await kms.send(new DecryptCommand({ CiphertextBlob: fresh.CiphertextBlob }))).KeyMaterialId, now);
      const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: k.id }))).Rotations!;
      assert.equal(rotations.length, 1);
      assert.equal(rotations[0]?.RotationType, 'ON_DEMAND');
      assert.equal(rotations[0]?.KeyMaterialId, now);

      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: k.id }))).KeyRotationEnabled, false);
      await expectKmsError(kms.send(new EnableKeyRotationCommand({ KeyId: k.id, RotationPeriodInDays: 80 })), 'ValidationException');
      await kms.send(new EnableKeyRotationCommand({ KeyId: k.id, RotationPeriodInDays: 180 }));
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: k.id }));
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 180);
      const inDays = (status.NextRotationDate!.getTime() - Date.now()) / 86_400_000;
      assert.ok(inDays > 179 && inDays <= 180, `next rotation in ${inDays} days`);
    });

    it('the AWS-managed aws/s3 key: described, but customers cannot disable or delete it', async () => {
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata!;
      assert.equal(md.KeyManager, 'AWS');
      assert.equal(md.Description, 'Default key that protects my S3 objects when no other key is defined');
      const denied = (action: string) =>
        `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: kms:${action} on resource: ${md.Arn} because no resource-based policy allows the kms:${action} action`;
      await expectKmsError(kms.send(new DisableKeyCommand({ KeyId: md.KeyId })), 'AccessDeniedException', denied('DisableKey'));
      await expectKmsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId, PendingWindowInDays: 7 })), 'AccessDeniedException', denied('ScheduleKeyDeletion'));
      await expectKmsError(kms.send(new DeleteAliasCommand({ AliasName: 'alias/aws/s3' })), 'NotAuthorizedException');
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: md.KeyId }))).KeyMetadata?.KeyState, 'Enabled');
    });

    it('answers in KMS JSON: exact __type and message, x-amz-json-1.1, request id', async () => {
      const res = await kmsRaw(server, server.root, 'DescribeKey', { KeyId: 'fake-key-id' });
      assert.equal(res.status, 400);
      assert.equal(res.headers['content-type'], 'application/x-amz-json-1.1');
      assert.ok(typeof res.headers['x-amzn-requestid'] === 'string' && res.headers['x-amzn-requestid'] !== '');
      assert.deepEqual(res.json, { __type: 'NotFoundException', message: "Invalid keyId 'fake-key-id'" });

      const ok = await kmsRaw(server, server.root, 'ListKeys', {});
      assert.equal(ok.status, 200);
      assert.ok(Array.isArray(ok.json?.['Keys']));

      const unknownOp = await kmsRaw(server, server.root, 'MakeCoffee', {});
      assert.equal(unknownOp.status, 400);
      assert.equal(unknownOp.json?.['__type'], 'UnknownOperationException');
      const notServed = await kmsRaw(server, server.root, 'Sign', { KeyId: 'x', Message: 'eA==', SigningAlgorithm: 'ECDSA_SHA_256' });
      assert.equal(notServed.json?.['__type'], 'UnsupportedOperationException');

      const badJson = await kmsRaw(server, server.root, 'DescribeKey', undefined, { rawBody: '{"KeyId": ' });
      assert.equal(badJson.status, 400);
      assert.equal(badJson.json?.['__type'], 'SerializationException');
      const huge = await kmsRaw(server, server.root, 'DescribeKey', undefined, { rawBody: `{"KeyId": "${'x'.repeat(1024 * 1024)}"}` });
      assert.equal(huge.status, 413);
      assert.equal(huge.json?.['__type'], 'ValidationException');
      const missing = await kmsRaw(server, server.root, 'DescribeKey', {});
      assert.deepEqual(missing.json, {
        __type: 'ValidationException',
        message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
      });
    });

    it('requires SigV4 for service kms, answered in KMS form', async () => {
      const s3Signed = await signedRequest(server, server.root, {
        method: 'POST',
        path: '/',
        headers: { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' },
        body: b('{}'),
      });
      assert.equal(s3Signed.status, 400);
      assert.deepEqual(JSON.parse(s3Signed.text), { __type: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'kms'. " });

      const wrongService = await kmsRaw(server, server.root, 'ListKeys', {}, { service: 's3' });
      assert.equal(wrongService.json?.['__type'], 'InvalidSignatureException');
      // Any region in the scope is accepted, as for S3; ARNs still name the server's region.
      const otherRegion = kmsApiClient(server, server.root, 'eu-west-1');
      try {
        const created = await otherRegion.send(new CreateKeyCommand({}));
        assert.match(created.KeyMetadata?.Arn ?? '', /^arn:aws:kms:us-east-1:/);
      } finally {
        otherRegion.destroy();
      }
      const unsigned = await kmsRaw(server, server.root, 'ListKeys', {}, { unsigned: true });
      assert.equal(unsigned.status, 400);
      assert.deepEqual(unsigned.json, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });

      const wrongSecret = kmsApiClient(server, { accessKeyId: server.root.accessKeyId, secretAccessKey: 'not-the-secret-key' });
      const unknownKey = kmsApiClient(server, { accessKeyId: 'AKIDNOTAUSER', secretAccessKey: 'whatever-secret' });
      try {
        await expectKmsError(wrongSecret.send(new ListKeysCommand({})), 'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
        await expectKmsError(unknownKey.send(new ListKeysCommand({})), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      } finally {
        wrongSecret.destroy();
        unknownKey.destroy();
      }
    });

    it('any Strongbox user may use the KMS, with their own keys: --kms-alias keys are root\'s (kms-ownership.test.ts has the rest)', async () => {
      const name = `alice-${transport.name}`;
      const alice = await server.addUser(name);
      const client = kmsApiClient(server, alice);
      try {
        const arn = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-2' }))).KeyMetadata!.Arn!;
        await expectKmsError(
          client.send(new EncryptCommand({ KeyId: 'alias/testkey-2', Plaintext: b('from alice') })),
          'AccessDeniedException',
          `User: arn:aws:iam::${ACCOUNT}:user/${name} is not authorized to perform: kms:Encrypt on resource: ${arn} because no resource-based policy allows the kms:Encrypt action`,
        );
        const own = await newKey(client, 'alice');
        const e = await client.send(new EncryptCommand({ KeyId: own.id, Plaintext: b('from alice') }));
        assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob }))).Plaintext!).toString(), 'from alice', 'root may use every key');
      } finally {
        client.destroy();
      }
    });
  });
}

describe('KMS keys across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-kms-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stay usable: aliases, states, rotated material and old ciphertexts survive', async () => {
    let server = await startServer({ http: true, dataDir, extraArgs: ['--kms-alias', 'testkey-1'] });
    const root = server.root;
    let kms = kmsApiClient(server, root);
    let keyArn: string;
    let oldBlob: Uint8Array;
    let newBlob: Uint8Array;
    let disabledBlob: Uint8Array;
    let t1Arn: string;
    try {
      t1Arn = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata!.Arn!;
      const k = await newKey(kms, 'survivor');
      keyArn = k.arn;
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/survivor', TargetKeyId: k.id }));
      oldBlob = (await kms.send(new EncryptCommand({ KeyId: 'alias/survivor', Plaintext: b('before rotation'), EncryptionContext: { x: 'y' } }))).CiphertextBlob!;
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: k.id }));
      newBlob = (await kms.send(new EncryptCommand({ KeyId: 'alias/survivor', Plaintext: b('after rotation') }))).CiphertextBlob!;
      const d = await newKey(kms, 'disabled');
      disabledBlob = (await kms.send(new EncryptCommand({ KeyId: d.id, Plaintext: b('z') }))).CiphertextBlob!;
      await kms.send(new DisableKeyCommand({ KeyId: d.id }));
    } finally {
      kms.destroy();
      await server.stop();
    }

    server = await startServer({ http: true, dataDir, root, extraArgs: ['--kms-alias', 'testkey-1'] });
    kms = kmsApiClient(server, root);
    try {
      assert.match(server.output(), /KMS key alias\/testkey-1: arn:/, 'the existing alias is reused, not re-created');
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata?.Arn, t1Arn);
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/survivor' }))).KeyMetadata?.Arn, keyArn);
      const a = await kms.send(new DecryptCommand({ CiphertextBlob: oldBlob, EncryptionContext: { x: 'y' } }));
      assert.equal(Buffer.from(a.Plaintext!).toString(), 'before rotation');
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: newBlob }))).Plaintext!).toString(), 'after rotation');
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: disabledBlob })), 'DisabledException');
      assert.equal((await kms.send(new ListKeyRotationsCommand({ KeyId: keyArn }))).Rotations?.length, 1);
    } finally {
      kms.destroy();
      await server.stop();
    }
  });
});
