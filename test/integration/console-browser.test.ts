/**
 * The web console (issue 6) in a real browser: Debian's Chromium driven by playwright-core
 * against the HTTPS test server. Sign-in (a wrong secret, then the keyboard), the bucket list,
 * creating buckets with SSE-S3 + an SSE-C block and with SSE-KMS and a picked key (checked with
 * the SDK), a bucket's encryption page, deleting (refused when not empty, after confirming),
 * sign-out, accessible names, and not one request to another origin. Screenshots of the main
 * pages go to a temporary folder, or to $STRONGBOX_SCREENSHOTS (`STRONGBOX_SCREENSHOTS=docs/console
 * node --test …` refreshes the README's), so a test run leaves the repository unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { DeleteBucketCommand, GetBucketEncryptionCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { bucketName, s3Client, startServer, type TestServer } from './harness.js';
import { kmsApiClient } from './fixtures/kms-api.js';
import { assertControlsNamed, openConsoleBrowser, screenshotPath, waitForExpression } from './fixtures/console-browser.js';

/** How many items the page keeps in sessionStorage. */
const storedItems = (page: Page): Promise<unknown> => page.evaluate('sessionStorage.length');

describe('web console in Chromium', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let s3: S3Client;
  let origin: string;
  let foreign: string[] = [];
  let pageErrors: string[] = [];
  const sseS3Bucket = bucketName('console-s3');
  const kmsBucket = bucketName('console-kms');
  let kmsKeyId: string;

  before(async () => {
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1'] });
    origin = new URL(server.url).origin;
    s3 = s3Client(server);
    const kms = kmsApiClient(server, server.root);
    kmsKeyId = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata?.KeyId ?? '';
    assert.ok(kmsKeyId !== '');
    ({ browser, page, foreign, pageErrors } = await openConsoleBrowser(origin));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the sign-in page with named, labelled fields', async () => {
    await page.goto(`${origin}/_console/`);
    await page.getByRole('heading', { name: 'Sign in to Strongbox' }).waitFor();
    assert.equal(await page.getByLabel('Access key ID').count(), 1);
    assert.equal(await page.getByLabel('Secret access key').getAttribute('type'), 'password');
    assert.ok((await assertControlsNamed(page)) >= 3);
    await page.screenshot({ path: screenshotPath('sign-in.png') });
  });

  it('answers a wrong secret with a sentence, the S3 code on demand, never XML', async () => {
    await page.getByLabel('Access key ID').fill(server.root.accessKeyId);
    await page.getByLabel('Secret access key').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('The secret key does not match the access key').waitFor();
    const text = await alert.innerText();
    assert.doesNotMatch(text, /<\?xml|<Error>|<Code>/);
    assert.equal(await page.getByText('SignatureDoesNotMatch').isVisible(), false, 'the code is hidden until asked for');
    await page.getByText('Technical details').click();
    await page.getByText('Code: SignatureDoesNotMatch').waitFor();
    assert.equal(await storedItems(page), 0, 'a refused key is not kept');
  });

  it('signs in with the keyboard alone: Tab reaches the fields and the button, Enter submits', async () => {
    await page.goto(`${origin}/_console/`);
    await page.getByRole('heading', { name: 'Sign in to Strongbox' }).waitFor();
    // The page puts focus on the first field; Shift+Tab and Tab move across it and back.
    // The root tsconfig has no DOM types: page code goes in as strings.
    const focused = () => page.evaluate("document.activeElement?.id || document.activeElement?.textContent || ''");
    assert.equal(await focused(), 'access-key-id');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'secret-access-key');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'access-key-id');
    await page.keyboard.type(server.root.accessKeyId);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'secret-access-key');
    await page.keyboard.type(server.root.secretAccessKey);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Sign in');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Buckets', exact: true }).waitFor();
    assert.match(page.url(), /#\/buckets$/);
    assert.equal(await storedItems(page), 1);
  });

  it('creates a bucket with SSE-S3 and SSE-C blocked', async () => {
    await page.getByLabel('Bucket name').fill(sseS3Bucket);
    await page.getByLabel('Default encryption').selectOption('AES256');
    await page.getByLabel('Block SSE-C').check();
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('status').getByText(`Bucket ${sseS3Bucket} created.`).waitFor();
    await page.getByRole('link', { name: sseS3Bucket }).waitFor();
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: sseS3Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    assert.equal(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'AES256');
    assert.deepEqual(rule?.BlockedEncryptionTypes?.EncryptionType, ['SSE-C']);
  });

  it('creates a bucket with SSE-KMS and a key from the picker', async () => {
    await page.getByLabel('Bucket name').fill(kmsBucket);
    await page.getByLabel('Default encryption').selectOption('aws:kms');
    const picker = page.getByLabel('KMS key');
    await picker.locator('option', { hasText: 'alias/testkey-1' }).waitFor({ state: 'attached' });
    await picker.selectOption(kmsKeyId);
    assert.equal(await page.getByLabel('Block SSE-C').isChecked(), false);
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('status').getByText(`Bucket ${kmsBucket} created.`).waitFor();
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: kmsBucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    assert.equal(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'aws:kms');
    assert.ok(rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID?.endsWith(kmsKeyId), rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID);
    assert.equal(rule?.BlockedEncryptionTypes, undefined);
    await page.getByRole('link', { name: kmsBucket }).waitFor();
    await assertControlsNamed(page);
    await page.screenshot({ path: screenshotPath('buckets.png'), fullPage: true });
  });

  it('creates a bucket with DSSE-KMS', async () => {
    const dsse = bucketName('console-dsse');
    await page.getByLabel('Bucket name').fill(dsse);
    await page.getByLabel('Default encryption').selectOption('aws:kms:dsse');
    await page.getByLabel('KMS key').selectOption(kmsKeyId);
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('status').getByText(`Bucket ${dsse} created.`).waitFor();
    const byDefault = (await s3.send(new GetBucketEncryptionCommand({ Bucket: dsse }))).ServerSideEncryptionConfiguration?.Rules?.[0]
      ?.ApplyServerSideEncryptionByDefault;
    assert.equal(byDefault?.SSEAlgorithm, 'aws:kms:dsse');
    assert.ok(byDefault?.KMSMasterKeyID?.endsWith(kmsKeyId));
    await s3.send(new DeleteBucketCommand({ Bucket: dsse }));
    await page.reload();
    await page.getByRole('link', { name: kmsBucket }).waitFor();
  });

  it("shows a bucket's encryption on its page", async () => {
    await page.getByRole('link', { name: kmsBucket }).click();
    await page.getByRole('heading', { name: `Bucket ${kmsBucket}` }).waitFor();
    await page.getByTestId('algorithm').getByText('SSE-KMS').waitFor();
    assert.match(await page.getByTestId('kms-key').innerText(), new RegExp(kmsKeyId));
    assert.match(await page.getByTestId('blocked').innerText(), /^none/);
    await assertControlsNamed(page);
    await page.screenshot({ path: screenshotPath('bucket.png'), fullPage: true });

    await page.goto(`${origin}/_console/#/buckets/${sseS3Bucket}`);
    await page.getByRole('heading', { name: `Bucket ${sseS3Bucket}` }).waitFor();
    await page.getByTestId('algorithm').getByText('SSE-S3').waitFor();
    assert.match(await page.getByTestId('blocked').innerText(), /SSE-C/);
    assert.equal(await page.getByTestId('kms-key').count(), 0);
  });

  it('refuses to delete a bucket that is not empty, in a sentence', async () => {
    await s3.send(new PutObjectCommand({ Bucket: sseS3Bucket, Key: 'keep.txt', Body: 'kept' }));
    await page.getByRole('link', { name: 'All buckets' }).click();
    await page.getByRole('button', { name: `Delete bucket ${sseS3Bucket}` }).click();
    await page.getByRole('button', { name: `Yes, delete bucket ${sseS3Bucket}` }).click();
    await page.getByRole('alert').getByText('The bucket is not empty').waitFor();
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    assert.ok(names?.includes(sseS3Bucket));
  });

  it('deletes an empty bucket only after confirming', async () => {
    await page.getByRole('button', { name: `Delete bucket ${kmsBucket}` }).click();
    // Focus goes to the safe choice (a render after the click); Escape (or Cancel) keeps the bucket.
    await waitForExpression(page, `document.activeElement?.getAttribute('aria-label') === ${JSON.stringify(`Keep bucket ${kmsBucket}`)}`);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: `Delete bucket ${kmsBucket}` }).click();
    await page.getByRole('button', { name: `Keep bucket ${kmsBucket}` }).click();
    assert.ok((await s3.send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === kmsBucket), 'cancel keeps it');
    await page.getByRole('button', { name: `Delete bucket ${kmsBucket}` }).click();
    await page.getByRole('button', { name: `Yes, delete bucket ${kmsBucket}` }).click();
    await page.getByRole('status').getByText(`Bucket ${kmsBucket} deleted.`).waitFor();
    await page.getByRole('link', { name: kmsBucket }).waitFor({ state: 'detached' });
    assert.ok(!(await s3.send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === kmsBucket));
  });

  it('signs out: sessionStorage is empty and the sign-in page is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Strongbox' }).waitFor();
    assert.equal(await storedItems(page), 0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Strongbox' }).waitFor();
  });

  it('made no request to another origin and no script or CSP error', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
