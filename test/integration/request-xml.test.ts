/**
 * Request documents against the real server (issue 13): the XML reader's refusals and
 * limits answer with Amazon's status and code, and leave nothing behind — the objects a
 * refused DeleteObjects named are still there, a refused Complete leaves its upload open,
 * a refused configuration leaves the old one. The reader's grammar itself is unit-tested in
 * test/server/xml-request.test.ts; Go-style bodies and keys in test/integration/xml-keys.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMultipartUploadCommand,
  GetBucketEncryptionCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type ListPartsCommandOutput,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TRANSPORTS, bucketName, expectS3Error, s3Client, signedRequest, startServer, xmlCode, xmlTag, type TestServer } from './harness.js';
import { uriEncode } from './fixtures/sigv4.js';
import { md5B64 as md5 } from './fixtures/checksums.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const MiB = 1024 * 1024;

for (const transport of TRANSPORTS) {
  describe(`request XML over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('reqxml');
      const res = await signedRequest(server, server.root, { method: 'PUT', path: `/${bucket}` });
      assert.equal(res.status, 200, res.text);
    });
    after(async () => {
      s3.destroy();
      await server.stop();
    });

    const deleteObjects = (body: Buffer, headers: Record<string, string> = { 'content-md5': md5(body) }) =>
      signedRequest(server, server.root, { method: 'POST', path: `/${bucket}`, query: [['delete', '']], headers, body });

    const putKeys = async (keys: readonly string[]) => {
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    };
    const exists = async (Key: string): Promise<boolean> => {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
        return true;
      } catch (err) {
        if ((err as { name?: string }).name === 'NotFound') return false;
        throw err;
      }
    };

    test('DeleteObjects refused for its shape deletes nothing', async () => {
      const keys = ['shape/a', 'shape/b'];
      await putKeys(keys);
      const objects = (n: number) => Array.from({ length: n }, (_, i) => `<Object><Key>${keys[i % 2]!}</Key></Object>`).join('');
      const cases: [string, Buffer, string][] = [
        ['1,001 keys', utf8(`<Delete>${objects(1001)}</Delete>`), 'MalformedXML'],
        ['no keys', utf8('<Delete><Quiet>true</Quiet></Delete>'), 'MalformedXML'],
        ['a DOCTYPE', utf8(`<!DOCTYPE Delete [<!ENTITY k "shape/a">]><Delete><Object><Key>&k;</Key></Object></Delete>`), 'MalformedXML'],
        ['an HTML entity', utf8('<Delete><Object><Key>shape/a&nbsp;</Key></Object></Delete>'), 'MalformedXML'],
        ['invalid UTF-8', Buffer.concat([utf8('<Delete><Object><Key>shape/a'), Buffer.from([0xc3, 0x28]), utf8('</Key></Object></Delete>')]), 'MalformedXML'],
        ['nesting 40 deep', utf8(`<Delete><Object><Key>shape/a</Key></Object>${'<x>'.repeat(38)}${'</x>'.repeat(38)}</Delete>`), 'MalformedXML'],
        ['an Object without Key', utf8('<Delete><Object><Key>shape/a</Key></Object><Object></Object></Delete>'), 'MalformedXML'],
        ['Quiet that is not a boolean', utf8('<Delete><Quiet>yes</Quiet><Object><Key>shape/a</Key></Object></Delete>'), 'MalformedXML'],
        ['a body over 8 MiB', utf8(`<Delete><Object><Key>shape/a</Key></Object><!--${'x'.repeat(8 * MiB)}--></Delete>`), 'MaxMessageLengthExceeded'],
      ];
      for (const [name, body, code] of cases) {
        const res = await deleteObjects(body);
        assert.equal(res.status, 400, `${name}: ${res.text}`);
        assert.equal(xmlCode(res.text), code, name);
        for (const k of keys) assert.ok(await exists(k), `${name}: ${k} is still there`);
      }
    });

    test('DeleteObjects without a Content-MD5 or checksum is refused, as Amazon requires one', async () => {
      await putKeys(['md5/a']);
      const body = utf8('<Delete><Object><Key>md5/a</Key></Object></Delete>');
      const res = await deleteObjects(body, {});
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'InvalidRequest');
      assert.equal(xmlTag(res.text, 'Message'), 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
      const wrong = await deleteObjects(body, { 'content-md5': md5(utf8('other')) });
      assert.equal(xmlCode(wrong.text), 'BadDigest');
      assert.ok(await exists('md5/a'));
    });

    test('DeleteObjects reads the XML 1.0 a client may write: prefixes, CRLF, CDATA, BOM, references', async () => {
      const keys = ['form/it\'s "q" & <b>', 'form/line\nbreak', 'form/cdata<&>', 'form/carriage\rreturn'];
      await putKeys(keys);
      const ns = 'http://s3.amazonaws.com/doc/2006-03-01/';
      const body = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        utf8(`<?xml version="1.0" encoding="UTF-8"?>\r\n<s3:Delete xmlns:s3="${ns}">\r\n  <s3:Quiet>1</s3:Quiet>\r\n`),
        utf8('  <s3:Object><s3:Key>form/it&#39;s &#x22;q&#34; &amp; &lt;b&gt;</s3:Key></s3:Object>\r\n'),
        // A literal CRLF inside the key is a line feed, as XML 1.0 and Amazon read it.
        utf8('  <s3:Object><s3:Key>form/line\r\nbreak</s3:Key></s3:Object>\r\n'),
        utf8('  <s3:Object><s3:Key><![CDATA[form/cdata<&>]]></s3:Key></s3:Object>\r\n'),
        utf8('  <s3:Object><s3:Key>form/carriage&#13;return</s3:Key></s3:Object>\r\n'),
        utf8('</s3:Delete>\r\n'),
      ]);
      const res = await deleteObjects(body);
      assert.equal(res.status, 200, res.text);
      assert.ok(!res.text.includes('<Deleted>') && !res.text.includes('<Error>'), `quiet: ${res.text}`);
      for (const k of keys) assert.equal(await exists(k), false, JSON.stringify(k));
    });

    test('CompleteMultipartUpload refused for its shape leaves the upload open', async () => {
      const Key = 'complete/refused';
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
      assert.ok(UploadId !== undefined);
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: 'part one' }));
      assert.ok(ETag !== undefined);
      const part = `<Part><PartNumber>1</PartNumber><ETag>${ETag.replace(/"/g, '&#34;')}</ETag></Part>`;
      const cases: [string, string, string][] = [
        ['10,001 parts', `<CompleteMultipartUpload>${part.repeat(10_001)}</CompleteMultipartUpload>`, 'MalformedXML'],
        ['a DOCTYPE', `<!DOCTYPE CompleteMultipartUpload><CompleteMultipartUpload>${part}</CompleteMultipartUpload>`, 'MalformedXML'],
        ['an HTML entity', `<CompleteMultipartUpload><Part><PartNumber>1&nbsp;</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`, 'MalformedXML'],
        ['another root', `<Delete>${part}</Delete>`, 'MalformedXML'],
        ['a body over 8 MiB', `<CompleteMultipartUpload>${part}<!--${'x'.repeat(8 * MiB)}--></CompleteMultipartUpload>`, 'MaxMessageLengthExceeded'],
      ];
      const path = `/${bucket}/${uriEncode(Key, false)}`;
      for (const [name, doc, code] of cases) {
        const res = await signedRequest(server, server.root, { method: 'POST', path, query: [['uploadId', UploadId]], body: utf8(doc) });
        assert.equal(res.status, 400, `${name}: ${res.text}`);
        assert.equal(xmlCode(res.text), code, name);
        const listed: ListPartsCommandOutput = await s3.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }));
        assert.equal(listed.Parts?.length, 1, `${name}: the upload is still open`);
        assert.equal(await exists(Key), false, `${name}: no object`);
      }
      // The same part list written as Go writes it completes.
      const res = await signedRequest(server, server.root, {
        method: 'POST',
        path,
        query: [['uploadId', UploadId]],
        body: utf8(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${part}</CompleteMultipartUpload>`),
      });
      assert.equal(res.status, 200, res.text);
      assert.ok(await exists(Key));
    });

    test('a refused PutBucketEncryption or CreateBucket changes nothing', async () => {
      const before = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      const rule = '<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>';
      const cases: [string, string, string][] = [
        ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY a "aws:kms">]><ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>&a;</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, 'MalformedXML'],
        ['text among elements', `<ServerSideEncryptionConfiguration>text${rule}</ServerSideEncryptionConfiguration>`, 'MalformedXML'],
        ['a body over 64 KiB', `<ServerSideEncryptionConfiguration>${rule}<!--${'x'.repeat(64 * 1024)}--></ServerSideEncryptionConfiguration>`, 'MaxMessageLengthExceeded'],
      ];
      for (const [name, doc, code] of cases) {
        const body = utf8(doc);
        const res = await signedRequest(server, server.root, { method: 'PUT', path: `/${bucket}`, query: [['encryption', '']], headers: { 'content-md5': md5(body) }, body });
        assert.equal(res.status, 400, `${name}: ${res.text}`);
        assert.equal(xmlCode(res.text), code, name);
        const now = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
        assert.deepEqual(now.ServerSideEncryptionConfiguration, before.ServerSideEncryptionConfiguration, name);
      }
      // A well-formed document with its xs:boolean written as 1 and a namespace prefix is taken.
      const good = utf8(
        '<s3:ServerSideEncryptionConfiguration xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Rule><s3:ApplyServerSideEncryptionByDefault>' +
          '<s3:SSEAlgorithm>AES256</s3:SSEAlgorithm></s3:ApplyServerSideEncryptionByDefault><s3:BucketKeyEnabled>1</s3:BucketKeyEnabled></s3:Rule></s3:ServerSideEncryptionConfiguration>',
      );
      const ok = await signedRequest(server, server.root, { method: 'PUT', path: `/${bucket}`, query: [['encryption', '']], headers: { 'content-md5': md5(good) }, body: good });
      assert.equal(ok.status, 200, ok.text);
      const taken = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      assert.equal(taken.ServerSideEncryptionConfiguration?.Rules?.[0]?.BucketKeyEnabled, true);

      const other = bucketName('reqxml-create');
      const res = await signedRequest(server, server.root, {
        method: 'PUT',
        path: `/${other}`,
        body: utf8('<!DOCTYPE c><CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>'),
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'MalformedXML');
      await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: other })), 'NotFound', 404);
    });
  });
}
