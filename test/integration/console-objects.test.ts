/**
 * The console's objects browser (issue 6, second slice) in Chromium: folders from prefixes and
 * breadcrumbs back up (surviving a reload), the encryption column for SSE-S3, SSE-KMS (by alias),
 * DSSE-KMS and SSE-C objects, pagination of a large folder, and no request to another origin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { bucketName, s3Client, startServer, type TestServer } from './harness.js';
import { kmsApiClient } from './fixtures/kms-api.js';
import { openConsoleBrowser, signIn } from './fixtures/console-browser.js';

const MANY = 120;

describe('console objects browser in Chromium', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let foreign: string[] = [];
  let pageErrors: string[] = [];
  const bucket = bucketName('console-objects');

  /** The encryption column of the row for `key` once its HEAD has answered. */
  const encryptionOf = async (key: string): Promise<string> => {
    const cell = page.locator(`tr[data-key="${key}"] [data-testid="encryption"]`);
    await cell.filter({ hasNotText: '…' }).waitFor();
    return cell.innerText();
  };

  before(async () => {
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1'] });
    origin = new URL(server.url).origin;
    const s3 = s3Client(server);
    const keyId = (await kmsApiClient(server, server.root).send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata?.KeyId;
    assert.ok(keyId !== undefined);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const customerKey = randomBytes(32);
    const put = (Key: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}`, ...extra }));
    await Promise.all([
      put('docs/a.txt', { Body: 'x'.repeat(2048) }),
      put('docs/sub/b.txt'),
      put('kms.txt', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }),
      put('dsse.txt', { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keyId }),
      put('ssec.txt', {
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: customerKey.toString('base64'),
        SSECustomerKeyMD5: createHash('md5').update(customerKey).digest('base64'),
      }),
    ]);
    const names = Array.from({ length: MANY }, (_, i) => `many/item-${String(i).padStart(4, '0')}.txt`);
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((n) => put(n)));

    ({ browser, page, foreign, pageErrors } = await openConsoleBrowser(origin));
    await signIn(page, origin, server.root);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists the top level: folders as links and each kind of encryption', async () => {
    await page.getByRole('link', { name: bucket }).click();
    await page.getByRole('heading', { name: `Bucket ${bucket}` }).waitFor();
    await page.getByTestId('algorithm').getByText('SSE-S3').waitFor();
    const table = page.getByRole('table');
    await table.waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Name', 'Size', 'Last modified', 'Encryption', 'Actions']);
    await table.getByRole('link', { name: 'docs/' }).waitFor();
    await table.getByRole('link', { name: 'many/' }).waitFor();
    assert.match(await encryptionOf('kms.txt'), /^SSE-KMS \(alias\/testkey-1\)$/);
    assert.match(await encryptionOf('dsse.txt'), /^DSSE-KMS \(alias\/testkey-1\)$/);
    assert.equal(await encryptionOf('ssec.txt'), 'SSE-C (key required)');
    assert.match(await page.getByTestId('page-count').innerText(), /2 folders and 3 objects/);
  });

  it('opens folders, shows sizes and SSE-S3, and goes back up by the breadcrumbs', async () => {
    await page.getByRole('link', { name: 'docs/' }).click();
    await page.locator('tr[data-key="docs/a.txt"]').waitFor();
    assert.match(page.url(), /#\/buckets\/[^?]+\?prefix=docs%2F$/);
    assert.equal(await encryptionOf('docs/a.txt'), 'SSE-S3');
    assert.match(await page.locator('tr[data-key="docs/a.txt"]').innerText(), /2\.0 KiB/);
    // Folder links are reachable by keyboard: focus and Enter.
    await page.getByRole('link', { name: 'sub/' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('tr[data-key="docs/sub/b.txt"]').waitFor();
    assert.equal(await encryptionOf('docs/sub/b.txt'), 'SSE-S3');
    // The route survives a reload.
    await page.reload();
    await page.locator('tr[data-key="docs/sub/b.txt"]').waitFor();
    const crumbs = page.getByRole('navigation', { name: 'Folder path' });
    assert.deepEqual(await crumbs.getByRole('listitem').allInnerTexts(), [bucket, 'docs', 'sub']);
    await crumbs.getByRole('link', { name: 'docs' }).click();
    await page.locator('tr[data-key="docs/a.txt"]').waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: bucket }).click();
    await page.locator('tr[data-key="kms.txt"]').waitFor();
  });

  it('pages through a large folder with Next page and First page', async () => {
    await page.getByRole('link', { name: 'many/' }).click();
    await page.getByTestId('page-count').getByText('Page 1: 0 folders and 100 objects (more on the next page)').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 100);
    assert.equal(await page.getByRole('button', { name: 'First page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByTestId('page-count').getByText(`Page 2: 0 folders and ${MANY - 100} objects`).waitFor();
    assert.equal(await page.locator('tbody tr').count(), MANY - 100);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    assert.equal(await encryptionOf('many/item-0119.txt'), 'SSE-S3');
    await page.getByRole('button', { name: 'First page' }).click();
    await page.getByTestId('page-count').getByText('Page 1:').waitFor();
    await page.locator('tr[data-key="many/item-0000.txt"]').waitFor();
  });

  it('says so when a folder is empty', async () => {
    await page.goto(`${origin}/_console/#/buckets/${bucket}?prefix=nothing%2F`);
    await page.getByTestId('empty').getByText('Nothing under nothing/.').waitFor();
  });

  it('made no request to another origin and no script error', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
