/**
 * The console's KMS keys page (#/kms-keys) in Chromium: the list with aliases and states, creating
 * a key with a description and an alias, disabling and enabling (also by keyboard alone),
 * scheduling and cancelling deletion, adding and removing aliases, KMS refusals as sentences, and
 * accessible names; every effect checked with the KMS SDK. The screenshot goes to a temporary
 * folder, or to $STRONGBOX_SCREENSHOTS, as in console-browser.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { DescribeKeyCommand, ListAliasesCommand, type KMSClient } from '@aws-sdk/client-kms';
import { startServer, type TestServer } from './harness.js';
import { kmsApiClient } from './fixtures/kms-api.js';
import { assertControlsNamed, openConsoleBrowser, screenshotPath, signIn, waitForExpression } from './fixtures/console-browser.js';

const DAY = 86_400_000;

/** As the page shows dates: YYYY-MM-DD HH:MM UTC. */
const shown = (d: Date): string => `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`;

describe('console KMS keys page in Chromium', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let kms: KMSClient;
  let origin: string;
  let foreign: string[] = [];
  let pageErrors: string[] = [];
  let existingId: string;
  let madeId = '';
  const MADE = 'alias/console-made';

  const state = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  const aliasesOf = async (keyId: string): Promise<string[]> =>
    ((await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases ?? []).map((a) => a.AliasName ?? '').sort();
  const row = (keyId: string) => page.locator(`tr[data-key-id="${keyId}"]`);
  const status = () => page.getByRole('status');
  /** Waits until the focused element has this aria-label (or, without one, this id). */
  const focusOn = async (label: string): Promise<void> => {
    await waitForExpression(page, `(document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id) === ${JSON.stringify(label)}`);
  };
  const focusedLabel = () => page.evaluate("document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? ''");

  before(async () => {
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1'] });
    origin = new URL(server.url).origin;
    kms = kmsApiClient(server, server.root);
    existingId = (await state('alias/testkey-1'))?.KeyId ?? '';
    assert.ok(existingId !== '');
    ({ browser, page, foreign, pageErrors } = await openConsoleBrowser(origin));
    await signIn(page, origin, server.root);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens from the main navigation and lists the existing key with its alias', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Buckets' }).getAttribute('aria-current'), 'page');
    await nav.getByRole('link', { name: 'KMS keys' }).click();
    await page.getByRole('heading', { name: 'KMS keys', level: 1 }).waitFor();
    assert.match(page.url(), /#\/kms-keys$/);
    assert.equal(await nav.getByRole('link', { name: 'KMS keys' }).getAttribute('aria-current'), 'page');
    assert.equal(await nav.getByRole('link', { name: 'Buckets' }).getAttribute('aria-current'), null);
    const table = page.getByRole('table', { name: 'KMS keys' });
    await table.waitFor();
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Aliases', 'Key ID', 'Description', 'State', 'Created', 'Actions']);
    await row(existingId).waitFor();
    assert.equal(await row(existingId).getByRole('rowheader').innerText(), existingId);
    assert.match(await row(existingId).innerText(), /alias\/testkey-1/);
    assert.equal(await row(existingId).getByTestId('state').innerText(), 'Enabled');
    // The route survives a reload, and the heading takes focus.
    await page.reload();
    await row(existingId).waitFor();
    await focusOn('kms-keys-heading');
  });

  it('creates a key with a description and an alias', async () => {
    await page.getByLabel('Description (optional)').fill('made in the console');
    await page.getByLabel('Alias (optional)').fill('console-made'); // alias/ is added
    await page.getByRole('button', { name: 'Create key' }).click();
    await status().getByText(`created with alias ${MADE}.`).waitFor();
    const meta = await state(MADE);
    madeId = meta?.KeyId ?? '';
    assert.ok(madeId !== '');
    assert.equal(meta?.Description, 'made in the console');
    assert.equal(meta?.KeyState, 'Enabled');
    await row(madeId).waitFor();
    assert.match(await row(madeId).innerText(), /alias\/console-made/);
    assert.match(await row(madeId).innerText(), /made in the console/);
    assert.equal(await page.getByLabel('Alias (optional)').inputValue(), '', 'a fresh form');
  });

  it('disables and enables a key', async () => {
    await page.getByRole('button', { name: `Disable key ${MADE}` }).click();
    await status().getByText(`Key ${MADE} disabled`).waitFor();
    assert.equal((await state(madeId))?.KeyState, 'Disabled');
    assert.equal(await row(madeId).getByTestId('state').innerText(), 'Disabled');
    await page.getByRole('button', { name: `Enable key ${MADE}` }).click();
    await status().getByText(`Key ${MADE} enabled.`).waitFor();
    assert.equal((await state(madeId))?.KeyState, 'Enabled');
    assert.equal(await row(madeId).getByTestId('state').innerText(), 'Enabled');
  });

  it('disables and enables with the keyboard alone: Tab reaches Disable, Enter activates it', async () => {
    await page.reload();
    await row(madeId).waitFor();
    await focusOn('kms-keys-heading');
    let presses = 0;
    while ((await focusedLabel()) !== `Disable key ${MADE}`) {
      assert.ok(++presses < 40, 'Tab never reached the Disable button');
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await status().getByText(`Key ${MADE} disabled`).waitFor();
    assert.equal((await state(madeId))?.KeyState, 'Disabled');
    // Focus stays where the button was, now Enable.
    await focusOn(`Enable key ${MADE}`);
    await page.keyboard.press('Enter');
    await status().getByText(`Key ${MADE} enabled.`).waitFor();
    assert.equal((await state(madeId))?.KeyState, 'Enabled');
  });

  it('refuses a waiting period out of range in a sentence, then schedules deletion in 7 days', async () => {
    await page.getByRole('button', { name: `Schedule deletion of key ${MADE}` }).click();
    const form = page.getByRole('form', { name: `Schedule deletion of key ${MADE}` });
    const days = form.getByLabel('Waiting period in days');
    await focusOn(`waiting-${madeId}`); // focus goes to the waiting period
    assert.equal(await days.inputValue(), '30');
    assert.match(await form.innerText(), /can never be read again/);
    await days.fill('5');
    await form.getByRole('button', { name: `Yes, schedule deletion of key ${MADE}` }).click();
    const alert = form.getByRole('alert');
    await alert.getByText('The waiting period must be a whole number of days from 7 to 30.').waitFor();
    await alert.getByText('Technical details').click();
    await alert.getByText('Code: ValidationException').waitFor();
    assert.equal((await state(madeId))?.KeyState, 'Enabled', 'nothing scheduled');

    await days.fill('7');
    const before = Date.now();
    await form.getByRole('button', { name: `Yes, schedule deletion of key ${MADE}` }).click();
    await status().getByText(`Key ${MADE} will be deleted on`).waitFor();
    const meta = await state(madeId);
    assert.equal(meta?.KeyState, 'PendingDeletion');
    const when = meta?.DeletionDate;
    assert.ok(when !== undefined);
    assert.ok(Math.abs(when.getTime() - (before + 7 * DAY)) < 60 * 60_000, `DeletionDate ${when.toISOString()} is about 7 days ahead`);
    assert.equal(await row(madeId).getByTestId('deletion-date').innerText(), `deleted on ${shown(when)}`);
    assert.match(await row(madeId).getByTestId('state').innerText(), /^Pending deletion/);
    assert.equal(await form.count(), 0, 'the form closes');
    await assertControlsNamed(page);
    await page.screenshot({ path: screenshotPath('kms-keys.png'), fullPage: true });
  });

  it('cancels the deletion: the key is Disabled, as on AWS, and says so', async () => {
    await page.getByRole('button', { name: `Cancel deletion of key ${MADE}` }).click();
    await status().getByText(`Deletion of key ${MADE} cancelled. The key stays disabled`).waitFor();
    const meta = await state(madeId);
    assert.equal(meta?.KeyState, 'Disabled');
    assert.equal(meta?.DeletionDate, undefined);
    assert.equal(await row(madeId).getByTestId('state').innerText(), 'Disabled');
    await page.getByRole('button', { name: `Enable key ${MADE}` }).click();
    await status().getByText(`Key ${MADE} enabled.`).waitFor();
    assert.equal((await state(madeId))?.KeyState, 'Enabled');
  });

  it('adds an alias and removes it after confirming', async () => {
    await page.getByRole('button', { name: `Add an alias to key ${MADE}` }).click();
    const form = page.getByRole('form', { name: `Add an alias to key ${MADE}` });
    await form.getByLabel(`New alias for key ${MADE}`).fill('console-second');
    await form.getByRole('button', { name: `Save the new alias of key ${MADE}` }).click();
    await status().getByText(`Alias alias/console-second added to key ${madeId}.`).waitFor();
    assert.deepEqual(await aliasesOf(madeId), ['alias/console-made', 'alias/console-second']);
    await row(madeId).getByText('alias/console-second', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Remove alias alias/console-second' }).click();
    await focusOn('Keep alias alias/console-second'); // the safe choice
    await page.keyboard.press('Escape');
    assert.deepEqual(await aliasesOf(madeId), ['alias/console-made', 'alias/console-second'], 'Escape keeps it');
    await page.getByRole('button', { name: 'Remove alias alias/console-second' }).click();
    await page.getByRole('button', { name: 'Yes, remove alias alias/console-second' }).click();
    await status().getByText(`Alias alias/console-second removed from key ${madeId}.`).waitFor();
    assert.deepEqual(await aliasesOf(madeId), ['alias/console-made']);
    await row(madeId).getByText('alias/console-second', { exact: true }).waitFor({ state: 'detached' });
  });

  it('shows a duplicate alias as a sentence, the code under Technical details, never JSON', async () => {
    await page.getByRole('button', { name: `Add an alias to key ${MADE}` }).click();
    const form = page.getByRole('form', { name: `Add an alias to key ${MADE}` });
    await form.getByLabel(`New alias for key ${MADE}`).fill('alias/testkey-1');
    await form.getByRole('button', { name: `Save the new alias of key ${MADE}` }).click();
    const alert = form.getByRole('alert');
    await alert.getByText('An alias with this name already exists.').waitFor();
    const text = await alert.innerText();
    assert.doesNotMatch(text, /[{}]|__type|"message"/);
    assert.equal(await alert.getByText('AlreadyExistsException').isVisible(), false, 'the code is hidden until asked for');
    await alert.getByText('Technical details').click();
    await alert.getByText('Code: AlreadyExistsException').waitFor();
    assert.deepEqual(await aliasesOf(madeId), ['alias/console-made']);
    assert.deepEqual(await aliasesOf(existingId), ['alias/testkey-1']);

    // A bad name: the KMS's ValidationException, in a sentence.
    await form.getByLabel(`New alias for key ${MADE}`).fill('has spaces');
    await form.getByRole('button', { name: `Save the new alias of key ${MADE}` }).click();
    await alert.getByText('alias/has spaces is not a valid alias name.').waitFor();
    assert.doesNotMatch(await alert.innerText(), /[{}]|__type/);
    await assertControlsNamed(page);
    await form.getByRole('button', { name: `Do not add an alias to key ${MADE}` }).click();
    await form.waitFor({ state: 'detached' });
    await focusOn(`Add an alias to key ${MADE}`); // back to where the form was opened
  });

  it('has an accessible name for every control on the page', async () => {
    await page.reload();
    await row(madeId).waitFor();
    assert.ok((await assertControlsNamed(page)) >= 10);
    // Each action names its key.
    for (const name of ['Disable key alias/testkey-1', `Schedule deletion of key ${MADE}`, 'Remove alias alias/testkey-1']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
    }
  });

  it('made no request to another origin and no script error', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
