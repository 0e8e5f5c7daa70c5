/**
 * The console's uploads and downloads (issue 6) in Chromium over HTTPS: an SSE-C upload with a
 * key generated in the page (which must be downloaded and acknowledged first), multipart for a
 * large file, drag and drop, a key loaded from a file; the listing saying SSE-C; downloads through
 * the service worker with the right key (bytes compared), the wrong key's sentence, an SSE-S3
 * upload and its download, and a cancelled multipart upload that leaves nothing behind. Every
 * effect is checked on the server with the AWS SDK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Download, Page, Route } from 'playwright-core';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bucketName, s3Client, startServer, type TestServer } from './harness.js';
import { assertControlsNamed, openConsoleBrowser, screenshotPath, signIn, waitForExpression } from './fixtures/console-browser.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
/** `strongbox key fingerprint`'s short form. */
const fingerprint = (key: Buffer): string => (sha256(key).slice(0, 16).match(/.{4}/g) ?? []).join('-');
const sseC = (key: Buffer) => ({
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: key.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
});

/** The resident memory of every Chromium process of this machine, in MiB (the tests run one at a time). */
async function chromiumRssMiB(): Promise<number> {
  let kib = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!(await readFile(`/proc/${pid}/cmdline`, 'utf8')).startsWith('/usr/lib/chromium/')) continue;
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the process ended while being read
    }
  }
  return kib / 1024;
}

describe('console uploads and downloads in Chromium', { timeout: 180_000 }, () => {
  let server: TestServer;
  let s3: S3Client;
  let browser: Browser;
  let page: Page;
  let foreign: string[] = [];
  let pageErrors: string[] = [];
  const bucket = bucketName('console-upload');
  const big = randomBytes(20 * 1024 * 1024 + 12345);
  let generatedKey: Buffer | undefined;
  /** Large files go to the browser by path: a buffer crosses the DevTools protocol slowly. */
  let files = '';
  const bigFile = async (name: string): Promise<string> => {
    const path = join(files, name);
    await writeFile(path, big);
    return path;
  };

  const row = (key: string) => page.locator(`tr[data-key="${key}"]`);
  const encryptionOf = async (key: string): Promise<string> => {
    const cell = row(key).locator('[data-testid="encryption"]');
    await cell.filter({ hasNotText: '…' }).waitFor();
    return cell.innerText();
  };
  const uploadState = (name: string) => page.locator(`li[data-file="${name}"] [data-testid="upload-state"]`);
  const savedBytes = async (download: Download): Promise<Buffer> => {
    assert.equal(await download.failure(), null);
    const path = await download.path();
    return readFile(path);
  };
  const chooseMode = (label: string) => page.getByLabel('Encryption', { exact: true }).selectOption({ label });

  before(async () => {
    files = await mkdtemp(join(tmpdir(), 'sb-console-upload-'));
    server = await startServer();
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const origin = new URL(server.url).origin;
    ({ browser, page, foreign, pageErrors } = await openConsoleBrowser(origin));
    await signIn(page, origin, server.root);
    await page.getByRole('link', { name: bucket }).click();
    await page.getByRole('heading', { name: `Bucket ${bucket}` }).waitFor();
    await page.getByTestId('empty').waitFor();
    // The download worker controls the page once it has activated.
    await waitForExpression(page, 'navigator.serviceWorker.controller !== null');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(files, { recursive: true, force: true });
  });

  it('uploads with a generated SSE-C key only after the key was downloaded and acknowledged, in parts', async () => {
    await page.getByLabel('Choose files').setInputFiles(await bigFile('big.bin'));
    await chooseMode('SSE-C (a key you provide)');
    const upload = page.getByRole('button', { name: 'Upload', exact: true });
    assert.equal(await page.getByLabel('Generate a new key').isChecked(), true);
    await page.getByRole('button', { name: 'Generate key' }).click();
    const shown = (await page.getByTestId('key-fingerprint').innerText()).match(/[0-9a-f]{4}(?:-[0-9a-f]{4}){3}/)?.[0];
    assert.ok(shown !== undefined);
    const saved = page.getByLabel('I have saved this key somewhere safe');
    assert.equal(await saved.isDisabled(), true, 'the acknowledgement waits for the key to be downloaded');
    assert.equal(await upload.isDisabled(), true, 'no upload before the key is saved');

    const [keyFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download key file' }).click()]);
    assert.equal(keyFile.suggestedFilename(), `strongbox-key-${shown}.txt`);
    generatedKey = Buffer.from((await savedBytes(keyFile)).toString('utf8').trim(), 'base64');
    assert.equal(generatedKey.length, 32);
    assert.equal(fingerprint(generatedKey), shown, "the page's fingerprint is the CLI's");
    assert.equal(await upload.isDisabled(), true);
    await saved.check();
    await page.getByLabel("Remember this key's fingerprint in this browser (not the key)").check();
    await page.getByLabel('Name for this key').fill('test key one');
    await page.screenshot({ path: screenshotPath('upload-sse-c.png'), fullPage: true });
    await upload.click();
    await uploadState('big.bin').getByText('Uploaded').waitFor({ timeout: 60_000 });

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin', PartNumber: 1, ...sseC(generatedKey) }));
    assert.equal(head.PartsCount, 3, 'a 20 MiB file goes up in 8 MiB parts');
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin', ...sseC(generatedKey) }));
    assert.equal(sha256(await got.Body!.transformToByteArray()), sha256(big));
    assert.equal(got.ContentLength, big.length);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' })), (err: { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.$metadata?.httpStatusCode, 400);
      return true;
    });
    assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [], []);
    assert.equal(await encryptionOf('big.bin'), 'SSE-C (key required)');
    // Nothing secret was kept by the page: only labels and fingerprints.
    const stored = String(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)'));
    assert.ok(!stored.includes(generatedKey.toString('base64')) && !stored.includes(generatedKey.toString('hex')));
    assert.ok(stored.includes(shown) && stored.includes('test key one'));
  });

  it('downloads an SSE-C object with the right key, streamed to a file with the same bytes, by keyboard alone', async () => {
    assert.ok(generatedKey !== undefined);
    await row('big.bin').getByRole('button', { name: 'Download big.bin' }).focus();
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: 'Download big.bin with its key' });
    assert.match(await form.getByTestId('expected-key').innerText(), new RegExp(`“test key one” \\(fingerprint ${fingerprint(generatedKey)}\\)`));
    // Focus is in the key field: type the key and press Enter.
    await waitForExpression(page, `document.activeElement?.type === 'password'`);
    await page.keyboard.type(generatedKey.toString('hex'));
    await form.getByTestId('key-fingerprint').getByText('test key one').waitFor();
    // The form takes the key a render after the field shows its fingerprint; Enter before that
    // finds the submit button still disabled (a click would wait for it, a key press does not).
    await form.locator('button[type="submit"]:not([disabled])').waitFor();
    const [file] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.equal(file.suggestedFilename(), 'big.bin');
    assert.equal(sha256(await savedBytes(file)), sha256(big));
    await page.getByTestId('download-status').getByText('Downloading big.bin').waitFor();
  });

  it('says that a wrong key does not open the object, and which key this browser saw seal it', async () => {
    assert.ok(generatedKey !== undefined);
    const wrong = randomBytes(32);
    await row('big.bin').getByRole('button', { name: 'Download big.bin' }).click();
    const form = page.getByRole('form', { name: 'Download big.bin with its key' });
    await form.getByLabel('Type or paste a key').check();
    await form.getByLabel(/^Key \(64 hex digits/).fill(wrong.toString('base64'));
    let downloads = 0;
    page.on('download', () => downloads++);
    await form.getByRole('button', { name: 'Check key and download' }).click();
    const alert = form.getByRole('alert');
    await alert.getByText('This key does not open this object.').waitFor();
    const text = await alert.innerText();
    assert.ok(text.includes(fingerprint(wrong)) && text.includes(`“test key one” (fingerprint ${fingerprint(generatedKey)})`), text);
    assert.ok(!text.includes(wrong.toString('base64')) && !text.includes(wrong.toString('hex')));
    await alert.getByText('Technical details').click();
    await alert.getByText('HTTP status: 403').waitFor();
    await form.screenshot({ path: screenshotPath('download-sse-c.png') });
    assert.equal(downloads, 0);
    // A malformed key is refused in the page, before any request.
    await form.getByLabel(/^Key \(64 hex digits/).fill('not a key');
    await form.getByRole('alert').getByText(/This is not a key/).waitFor();
    // The button is disabled a render after the alert shows: wait for it rather than read it at once.
    await form.getByRole('button', { name: 'Check key and download', disabled: true }).waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('asks for the key of an SSE-C object whose HEAD has not told the page what it is', async () => {
    // The HEADs never answer; the GET without a key is refused (400 InvalidRequest), and the page
    // then asks for the key instead of showing an error.
    const heads = (route: Route) => (route.request().method() === 'HEAD' ? route.abort() : route.fallback());
    await page.route('**/*', heads);
    try {
      await page.reload();
      await row('big.bin').locator('[data-testid="encryption"]').getByText(/^Unknown/).waitFor();
      await row('big.bin').getByRole('button', { name: 'Download big.bin' }).click();
      await page.getByRole('form', { name: 'Download big.bin with its key' }).waitFor();
      assert.equal(await page.getByTestId('download-status').innerText(), '');
      await page.getByRole('form', { name: 'Download big.bin with its key' }).getByRole('button', { name: 'Cancel' }).click();
    } finally {
      await page.unroute('**/*', heads);
    }
    await page.reload();
    await row('big.bin').waitFor();
  });

  it('uploads by drag and drop with a key loaded from a file', async () => {
    assert.ok(generatedKey !== undefined);
    const body = Buffer.from('dropped into the console\n');
    const transfer = await page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); dt.items.add(new File([${JSON.stringify(body.toString('utf8'))}], 'dropped.txt', { type: 'text/plain' })); return dt; })()`,
    );
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
    await chooseMode('SSE-C (a key you provide)');
    await page.getByLabel('Load a key file').check();
    await page.getByLabel(/^Key file/).setInputFiles({ name: 'k.txt', mimeType: 'text/plain', buffer: Buffer.from(`${generatedKey.toString('base64')}\n`) });
    await page.getByTestId('key-fingerprint').getByText(fingerprint(generatedKey)).waitFor();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await uploadState('dropped.txt').getByText('Uploaded').waitFor();
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dropped.txt', ...sseC(generatedKey) }));
    assert.equal(await got.Body!.transformToString(), body.toString('utf8'));
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(await encryptionOf('dropped.txt'), 'SSE-C (key required)');
  });

  it('uploads with SSE-S3 and downloads without a key', async () => {
    const body = randomBytes(300_000);
    await page.getByLabel('Choose files').setInputFiles({ name: 'plain-s3.bin', mimeType: 'application/octet-stream', buffer: body });
    await chooseMode('SSE-S3 (keys managed by the server)');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await uploadState('plain-s3.bin').getByText('Uploaded').waitFor();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'plain-s3.bin' }));
    assert.equal(head.ServerSideEncryption, 'AES256');
    assert.equal(await encryptionOf('plain-s3.bin'), 'SSE-S3');
    const [file] = await Promise.all([page.waitForEvent('download'), row('plain-s3.bin').getByRole('button', { name: 'Download plain-s3.bin' }).click()]);
    assert.equal(sha256(await savedBytes(file)), sha256(body));
  });

  it('cancels a multipart upload and leaves neither the upload nor an object behind', async () => {
    // Hold the second part at the browser until Cancel has been pressed.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/partNumber=2(&|$)/, async (route) => {
      await held;
      // The page has usually cancelled this request itself by now.
      await route.abort().catch(() => undefined);
    });
    try {
      await page.getByLabel('Choose files').setInputFiles(await bigFile('cancelled.bin'));
      await chooseMode('SSE-S3 (keys managed by the server)');
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      // Pressed without waiting for the page to settle: its progress bars keep redrawing.
      await page.getByRole('button', { name: 'Cancel upload of cancelled.bin' }).dispatchEvent('click');
      release();
      await uploadState('cancelled.bin').getByText('Cancelled: nothing was stored').waitFor();
    } finally {
      release();
      await page.unroute(/partNumber=2(&|$)/);
    }
    assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [], []);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cancelled.bin' })));
  });

  it('streams a 256 MiB download to disk without holding it in the browser', async () => {
    // A body pumped through the worker's JavaScript grows Chromium by about the object's size;
    // passed through natively, by a few MiB. The bound sits halfway.
    const chunk = randomBytes(1024 * 1024);
    const size = 256 * chunk.length;
    const expected = createHash('sha256');
    for (let i = 0; i < size / chunk.length; i++) expected.update(chunk);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'large.bin', Body: Buffer.concat(Array.from({ length: size / chunk.length }, () => chunk)) }));
    await page.reload();
    const before = await chromiumRssMiB();
    let peak = before;
    const sampler = setInterval(() => void chromiumRssMiB().then((rss) => (peak = Math.max(peak, rss))), 100);
    try {
      const [file] = await Promise.all([page.waitForEvent('download'), row('large.bin').getByRole('button', { name: 'Download large.bin' }).click()]);
      assert.equal(await file.failure(), null);
      const got = createHash('sha256');
      for await (const piece of createReadStream(await file.path())) got.update(piece as Buffer);
      assert.equal(got.digest('hex'), expected.digest('hex'));
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak - before < 128, `Chromium grew by ${Math.round(peak - before)} MiB while downloading 256 MiB`);
  });

  it("refuses SSE-C uploads to a bucket that blocks them, with a sentence saying why", async () => {
    assert.ok(generatedKey !== undefined);
    const blocked = bucketName('console-blocked');
    await s3.send(new CreateBucketCommand({ Bucket: blocked }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: blocked,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
        },
      }),
    );
    await page.goto(`${new URL(server.url).origin}/_console/#/buckets/${blocked}`);
    await page.getByTestId('empty').waitFor();
    await page.getByLabel('Choose files').setInputFiles({ name: 'refused.txt', mimeType: 'text/plain', buffer: Buffer.from('refused') });
    await chooseMode('SSE-C (a key you provide)');
    await page.getByLabel('Type or paste a key').check();
    await page.getByLabel(/^Key \(64 hex digits/).fill(generatedKey.toString('hex'));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await uploadState('refused.txt').getByText('Failed').waitFor();
    await page.getByRole('alert').getByText(/This bucket may block SSE-C/).waitFor();
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: blocked, Key: 'refused.txt' })));
    await page.goto(`${new URL(server.url).origin}/_console/#/buckets/${bucket}`);
    await row('big.bin').waitFor();
  });

  it("keeps a list of key names and fingerprints in this browser, never the keys", async () => {
    assert.ok(generatedKey !== undefined);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customer keys' }).click();
    await page.getByRole('heading', { name: 'Customer keys in this browser' }).waitFor();
    const listed = (fp: string) => page.locator(`tr[data-fingerprint="${fp}"]`);
    assert.equal(await listed(fingerprint(generatedKey)).getByRole('rowheader').innerText(), 'test key one');

    await page.getByLabel('Name', { exact: true }).first().fill('from the CLI');
    await page.getByLabel('Fingerprint', { exact: true }).fill('not-a-fingerprint');
    await page.getByRole('button', { name: 'Add fingerprint' }).click();
    await page.getByRole('alert').getByText(/four groups of four hex digits/).waitFor();
    const cliKey = randomBytes(32);
    await page.getByLabel('Fingerprint', { exact: true }).fill(fingerprint(cliKey).toUpperCase());
    await page.getByRole('button', { name: 'Add fingerprint' }).click();
    await listed(fingerprint(cliKey)).getByText('from the CLI').waitFor();

    const other = randomBytes(32);
    await page.getByLabel(/^Key \(64 hex digits/).fill(other.toString('base64'));
    await page.getByTestId('key-fingerprint').getByText(fingerprint(other)).waitFor();
    await page.locator('#key-name').fill('pasted key');
    await page.getByRole('button', { name: "Add key's fingerprint" }).click();
    await listed(fingerprint(other)).getByText('pasted key').waitFor();
    assert.equal(await page.getByLabel(/^Key \(64 hex digits/).inputValue(), '', 'the key field is cleared');

    await page.getByRole('button', { name: 'Remove from the CLI from this list' }).click();
    await listed(fingerprint(cliKey)).waitFor({ state: 'detached' });
    await assertControlsNamed(page);
    await page.screenshot({ path: screenshotPath('customer-keys.png'), fullPage: true });
    const stored = String(await page.evaluate('JSON.stringify(localStorage)'));
    for (const key of [generatedKey, other]) assert.ok(!stored.includes(key.toString('base64')) && !stored.includes(key.toString('hex')));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Buckets' }).click();
    await page.getByRole('link', { name: bucket }).click();
    await row('big.bin').waitFor();
  });

  it('names every control of the upload panel and the download form, and made no foreign request', async () => {
    await chooseMode('SSE-C (a key you provide)');
    await row('big.bin').getByRole('button', { name: 'Download big.bin' }).click();
    await assertControlsNamed(page);
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
