/**
 * Issue 13, response side: every response that carries an object key carries it exactly, as
 * read by three readers: botocore (python), the AWS SDK for JavaScript v3, and strict XML 1.0
 * parsers standing in for Go's encoding/xml (saxes here, expat through python's ElementTree).
 *
 * Keys with `' " & < >`, non-ASCII, spaces, `%`, tab, LF and CR are all XML 1.0 characters:
 * every response must be well-formed XML 1.0 and give them back exactly (a CR only survives
 * as a character reference, XML 1.0 §2.11).
 *
 * C0 control characters other than tab, LF and CR are not XML 1.0 characters at all, not
 * even as references. Amazon documents `encoding-type=url` for them ("XML 1.0 parser can't
 * parse certain characters, such as characters with an ASCII value from 0 to 10" —
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html, EncodingType).
 * Without it Amazon writes a character reference anyway: an S3 listing quoted in
 * minio/minio-py#716 has `<Key>a&#x19;&#x7;</Key>`; aws-sdk-go#1914 ("illegal character code
 * U+0004") and aws-sdk-java-v2#2828 (`Character reference "&#x3" is an invalid XML
 * character`) are Go and Java clients failing on such listings. Amazon rejects the same
 * characters in request documents (MalformedXML, basho/riak_cs#974).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TRANSPORTS, bucketName, clientEnv, runPython, s3Client, signedRequest, startServer, type RawResponse, type TestServer } from './harness.js';
import { uriEncode } from './fixtures/sigv4.js';
import { md5B64 } from './fixtures/checksums.js';
import { goDeleteBody, show, textsAt, tryStrict, urlDecode } from './fixtures/xml-text.js';

/** Names that are XML 1.0 characters but need escaping (or a reference, for CR). */
const NAMES = ["it's", 'say "hi"', 'a&b', '<tag>', 'a>b', 'caf\u00e9', '\u65e5\u672c', '\ud83d\ude00', 'sp ace', '100%', 'tab\tx', 'lf\nx', 'cr\rx'];
/** Names with C0 controls that XML 1.0 cannot carry. */
const CONTROL_NAMES = ['a\u0001b', 'x\u001fy'];

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Decodes the five predefined entities and numeric references, the way a lenient reader does. */
const decodeRefs = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, r: string) => {
    if (r.startsWith('#x')) return String.fromCodePoint(parseInt(r.slice(2), 16));
    if (r.startsWith('#')) return String.fromCodePoint(parseInt(r.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[r] ?? '';
  });

/** Raw `<tag>` texts, unparsed (for documents a strict parser refuses). */
const rawTexts = (xml: string, tag: string): string[] => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] ?? '');

const PY_PROLOGUE = `
import os, sys, json, base64
import boto3
from botocore.exceptions import ClientError
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'],
                  config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B = os.environ['BUCKET']
ARG = json.loads(base64.b64decode(os.environ.get('ARG', 'bnVsbA==')))
`;

/** One document from the server and where its key should be. */
interface Captured {
  readonly op: string;
  /** The keys it must carry, in UTF-8 byte order. */
  readonly keys: readonly string[];
  /** Slash path of the element(s) below the root holding keys. */
  readonly path: string;
  readonly body: string;
}

for (const transport of TRANSPORTS) {
  describe(`keys in XML responses over ${transport.name} (issue 13)`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;
    let work: string;

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('xmlresp');
      work = mkdtempSync(join(tmpdir(), 'strongbox-xmlkeys-'));
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    after(async () => {
      s3?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
      await server?.stop();
    });

    const objectPath = (key: string) => `/${bucket}/${uriEncode(key, false)}`;
    const signed = (method: string, path: string, query: readonly (readonly [string, string])[] = [], body?: Buffer, headers: Record<string, string> = {}) =>
      signedRequest(server, server.root, { method, path, query, headers, ...(body === undefined ? {} : { body }) });
    const ok = (what: string, res: RawResponse, status = 200) => assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);

    async function py(body: string, arg: unknown): Promise<Record<string, unknown>> {
      const env = { ...clientEnv(server, server.root), STRONGBOX_URL: server.url, BUCKET: bucket, ARG: Buffer.from(JSON.stringify(arg)).toString('base64') };
      const r = await runPython(PY_PROLOGUE + body, env);
      assert.equal(r.code, 0, `python failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    }

    /** Every key-carrying response for `keys`, raw and signed; leaves no upload behind. */
    async function captureAll(prefix: string, keys: readonly string[], encodingType?: 'url'): Promise<Captured[]> {
      const enc: (readonly [string, string])[] = encodingType === undefined ? [] : [['encoding-type', encodingType]];
      const out: Captured[] = [];
      for (const key of keys) {
        const init = await signed('POST', objectPath(key), [['uploads', '']]);
        ok(`Initiate ${show(key)}`, init);
        out.push({ op: 'CreateMultipartUpload', keys: [key], path: 'Key', body: init.text });
        const uploadId = rawTexts(init.text, 'UploadId')[0] ?? '';
        const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: key }));
        const parts = await signed('GET', objectPath(key), [['uploadId', uploadId]]);
        ok(`ListParts ${show(key)}`, parts);
        out.push({ op: 'ListParts', keys: [key], path: 'Key', body: parts.text });
        const uploads = await signed('GET', `/${bucket}`, [['uploads', ''], ['prefix', key], ...enc]);
        ok(`ListMultipartUploads ${show(key)}`, uploads);
        out.push({ op: 'ListMultipartUploads', keys: [key], path: 'Upload/Key', body: uploads.text });
        const doc = Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.ETag ?? ''}</ETag></Part></CompleteMultipartUpload>`);
        const done = await signed('POST', objectPath(key), [['uploadId', uploadId]], doc);
        ok(`Complete ${show(key)}`, done);
        out.push({ op: 'CompleteMultipartUpload', keys: [key], path: 'Key', body: done.text });
        const missing = await signed('GET', objectPath(`${key}.missing`));
        ok(`GET of a missing key ${show(key)}`, missing, 404);
        out.push({ op: 'NoSuchKey', keys: [`${key}.missing`], path: 'Key', body: missing.text });
      }
      const all = [...keys].sort(byteOrder);
      for (const [op, query, path] of [
        ['ListObjects', [], 'Contents/Key'],
        ['ListObjectsV2', [['list-type', '2']], 'Contents/Key'],
        ['ListObjectVersions', [['versions', '']], 'Version/Key'],
      ] as const) {
        const res = await signed('GET', `/${bucket}`, [...query, ['prefix', prefix], ...enc]);
        ok(op, res);
        out.push({ op, keys: all, path, body: res.text });
      }
      return out;
    }

    /** Has expat (python's ElementTree) read each document; returns its texts or its error. */
    async function expatRead(captured: readonly Captured[]): Promise<({ texts: string[] } | { error: string })[]> {
      const file = join(work, `docs-${Date.now()}.json`);
      writeFileSync(file, JSON.stringify(captured.map((c) => ({ body: c.body, path: c.path }))));
      const r = await py(
        `
import xml.etree.ElementTree as ET
def local(tag): return tag.split('}')[-1]
def texts(el, path):
    head, _, rest = path.partition('/')
    hits = [c for c in el if local(c.tag) == head]
    return [c.text or '' for c in hits] if not rest else [t for c in hits for t in texts(c, rest)]
res = []
for d in json.load(open(ARG)):
    try:
        res.append({'texts': texts(ET.fromstring(d['body'].encode('utf-8')), d['path'])})
    except ET.ParseError as e:
        res.append({'error': str(e)})
print(json.dumps({'res': res}))
`,
        file,
      );
      return r['res'] as ({ texts: string[] } | { error: string })[];
    }

    it('every key-carrying response is strict XML 1.0 and carries printable keys exactly (saxes and expat)', async () => {
      const prefix = 'strict/';
      const keys = NAMES.map((n) => prefix + n);
      for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
      const captured = await captureAll(prefix, keys);
      // DeleteObjects last: its result carries each key once more.
      const del = await signed('POST', `/${bucket}`, [['delete', '']], goDeleteBody(keys, 'aws-sdk-go-v1', false), {});
      captured.push({ op: 'DeleteObjects', keys: [...keys].sort(byteOrder), path: 'Deleted/Key', body: del.text });
      const expat = await expatRead(captured);
      for (const [i, c] of captured.entries()) {
        const strict = tryStrict(c.body);
        const what = `${c.op} for ${c.keys.map(show).join(', ')}`;
        assert.ok('doc' in strict, `${what} is not well-formed XML 1.0 (${'error' in strict ? strict.error : ''}):\n${c.body}`);
        assert.deepEqual(textsAt(strict.doc, c.path).sort(byteOrder), c.keys, `${what}: saxes reads the keys exactly:\n${c.body}`);
        const e = expat[i];
        assert.ok(e !== undefined && 'texts' in e, `${what}: expat refuses it: ${JSON.stringify(e)}`);
        assert.deepEqual([...e.texts].sort(byteOrder), c.keys, `${what}: expat reads the keys exactly`);
      }
    });

    it('botocore reads every printable key exactly from every response', async () => {
      const prefix = 'boto/';
      const keys = NAMES.map((n) => prefix + n);
      for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
      const r = await py(
        `
prefix, keys = ARG
got = {'CreateMultipartUpload': [], 'ListParts': [], 'ListMultipartUploads': [], 'CompleteMultipartUpload': [], 'NoSuchKey': []}
for k in keys:
    up = s3.create_multipart_upload(Bucket=B, Key=k)
    got['CreateMultipartUpload'].append(up['Key'])
    p = s3.upload_part(Bucket=B, Key=k, UploadId=up['UploadId'], PartNumber=1, Body=k.encode())
    got['ListParts'].append(s3.list_parts(Bucket=B, Key=k, UploadId=up['UploadId'])['Key'])
    got['ListMultipartUploads'].append([u['Key'] for u in s3.list_multipart_uploads(Bucket=B, Prefix=k).get('Uploads', [])])
    c = s3.complete_multipart_upload(Bucket=B, Key=k, UploadId=up['UploadId'], MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})
    got['CompleteMultipartUpload'].append(c['Key'])
    try:
        s3.get_object(Bucket=B, Key=k + '.missing')
        got['NoSuchKey'].append(None)
    except ClientError as e:
        got['NoSuchKey'].append(e.response['Error'].get('Key'))
got['ListObjects'] = [o['Key'] for o in s3.list_objects(Bucket=B, Prefix=prefix).get('Contents', [])]
got['ListObjectsV2'] = [o['Key'] for o in s3.list_objects_v2(Bucket=B, Prefix=prefix).get('Contents', [])]
got['ListObjectVersions'] = [o['Key'] for o in s3.list_object_versions(Bucket=B, Prefix=prefix).get('Versions', [])]
d = s3.delete_objects(Bucket=B, Delete={'Objects': [{'Key': k} for k in keys]})
got['DeleteObjects'] = [x['Key'] for x in d.get('Deleted', [])]
print(json.dumps(got))
`,
        [prefix, keys],
      );
      const sorted = [...keys].sort(byteOrder);
      assert.deepEqual(r['CreateMultipartUpload'], keys, 'InitiateMultipartUploadResult <Key>');
      assert.deepEqual(r['ListParts'], keys, 'ListPartsResult <Key>');
      assert.deepEqual(r['ListMultipartUploads'], keys.map((k) => [k]), 'ListMultipartUploadsResult <Upload><Key>');
      assert.deepEqual(r['CompleteMultipartUpload'], keys, 'CompleteMultipartUploadResult <Key>');
      assert.deepEqual(r['NoSuchKey'], keys.map((k) => `${k}.missing`), '<Error><Key>');
      assert.deepEqual(r['ListObjects'], sorted, 'ListObjects');
      assert.deepEqual(r['ListObjectsV2'], sorted, 'ListObjectsV2');
      assert.deepEqual(r['ListObjectVersions'], sorted, 'ListObjectVersions');
      assert.deepEqual([...(r['DeleteObjects'] as string[])].sort(byteOrder), sorted, 'DeleteResult <Deleted><Key>');
    });

    it('the JS SDK reads every printable key exactly from every response', async () => {
      const prefix = 'sdk/';
      const keys = NAMES.map((n) => prefix + n);
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
      for (const Key of keys) {
        const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
        assert.equal(up.Key, Key, 'InitiateMultipartUploadResult <Key>');
        const UploadId = up.UploadId ?? '';
        const p = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: Key }));
        assert.equal((await s3.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }))).Key, Key, 'ListPartsResult <Key>');
        const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: Key }));
        assert.deepEqual(uploads.Uploads?.map((u) => u.Key), [Key], 'ListMultipartUploadsResult <Upload><Key>');
        const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag ?? '' }] } }));
        assert.equal(done.Key, Key, 'CompleteMultipartUploadResult <Key>');
        const err = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${Key}.missing` })).then(
          () => assert.fail('GET of a missing key succeeded'),
          (e: unknown) => e as { name?: string; Key?: string },
        );
        assert.equal(err.name, 'NoSuchKey');
        assert.equal(err.Key, `${Key}.missing`, '<Error><Key>');
      }
      const sorted = [...keys].sort(byteOrder);
      assert.deepEqual((await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix }))).Contents?.map((c) => c.Key), sorted, 'ListObjects');
      assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents?.map((c) => c.Key), sorted, 'ListObjectsV2');
      assert.deepEqual((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }))).Versions?.map((v) => v.Key), sorted, 'ListObjectVersions');
      const del = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
      assert.deepEqual(del.Deleted?.map((d) => d.Key ?? '').sort(byteOrder), sorted, 'DeleteResult <Deleted><Key>');
    });

    it('keys with C0 controls come back exactly from listings with encoding-type=url (raw, JS SDK, boto3)', async () => {
      const prefix = 'ctl-url/';
      const keys = CONTROL_NAMES.map((n) => prefix + n);
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
      const sorted = [...keys].sort(byteOrder);
      const captured = await captureAll(prefix, keys, 'url');
      // ListParts, like Initiate and Complete, has no encoding-type: the next test covers it.
      for (const c of captured.filter((x) => ['ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads'].includes(x.op))) {
        const strict = tryStrict(c.body);
        assert.ok('doc' in strict, `${c.op} with encoding-type=url is not well-formed XML 1.0:\n${c.body}`);
        assert.deepEqual(textsAt(strict.doc, c.path).map(urlDecode).sort(byteOrder), c.keys, `${c.op}:\n${c.body}`);
        assert.deepEqual(textsAt(strict.doc, 'EncodingType'), ['url'], `${c.op} says EncodingType url`);
      }
      const v2 = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, EncodingType: 'url' }));
      assert.deepEqual(v2.Contents?.map((c) => urlDecode(c.Key ?? '')), sorted, 'JS SDK ListObjectsV2 EncodingType url');
      const r = await py(
        `
prefix = ARG
out = {'v2': [o['Key'] for o in s3.list_objects_v2(Bucket=B, Prefix=prefix).get('Contents', [])],
       'v1': [o['Key'] for o in s3.list_objects(Bucket=B, Prefix=prefix).get('Contents', [])],
       'versions': [o['Key'] for o in s3.list_object_versions(Bucket=B, Prefix=prefix).get('Versions', [])]}
print(json.dumps(out))
`,
        prefix,
      );
      // botocore asks for encoding-type=url on these three by itself and decodes the answer.
      assert.deepEqual(r, { v2: sorted, v1: sorted, versions: sorted });
    });

    it('without encoding-type, keys with C0 controls are written as character references, as Amazon does; lenient readers get them exactly', async () => {
      const prefix = 'ctl-raw/';
      const keys = CONTROL_NAMES.map((n) => prefix + n);
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
      const captured = await captureAll(prefix, keys);
      for (const c of captured) {
        const raw = rawTexts(c.body, c.path.split('/').at(-1) ?? '');
        assert.deepEqual(raw.map(decodeRefs).sort(byteOrder), c.keys, `${c.op} carries the keys as references:\n${c.body}`);
        for (const t of raw) assert.doesNotMatch(t, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/, `${c.op}: no raw control character in the document`);
        assert.ok(raw.every((t) => /&#x[0-9a-fA-F]+;/.test(t)), `${c.op}: the control character is a reference`);
      }
      const v2 = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      assert.deepEqual(v2.Contents?.map((c) => c.Key), [...keys].sort(byteOrder), 'the JS SDK reads the references');
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: keys[0] ?? '' }));
      assert.equal(up.Key, keys[0], 'the JS SDK reads the reference in InitiateMultipartUploadResult');
    });

    it('DeleteObjects naming a key with a C0 control is MalformedXML, as on Amazon; the object stays', async () => {
      const key = 'ctl-del/a\u0001b';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      // The JS SDK writes U+0001 raw (its escaper knows only & " ' < > CR LF NEL LS); a client
      // writing XML 1.1-style references sends &#x1;. Neither is XML 1.0.
      for (const body of [`<Delete><Object><Key>${key}</Key></Object></Delete>`, '<Delete><Object><Key>ctl-del/a&#x1;b</Key></Object></Delete>']) {
        const doc = Buffer.from(body);
        const res = await signed('POST', `/${bucket}`, [['delete', '']], doc, { 'content-md5': md5B64(doc) });
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.status} ${res.text}`);
        assert.equal(rawTexts(res.text, 'Code')[0], 'MalformedXML', res.text);
      }
      const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'ctl-del/', EncodingType: 'url' }));
      assert.deepEqual(left.Contents?.map((c) => urlDecode(c.Key ?? '')), [key], 'the object is still there');
    });
  });
}
