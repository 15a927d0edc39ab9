import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base, call, world } from './world';

// Issue 13 in the browser: the owner exports the workspace from Settings →
// Data, follows its progress, and downloads a zip that a tool written by
// others (Python's zipfile and sqlite3) opens, with the tenant's customer in
// both the CSV and the SQLite file. Then restores: from the listed export
// after a change (the confirmation names what is replaced; the change is
// gone), and from the downloaded file through the upload form.

async function hydrated(page: Page) {
  await page.waitForLoadState('load');
  await page.waitForSelector('body[data-hydrated]');
}

test('the owner exports everything and downloads the archive', async ({ page }, info) => {
  test.skip(info.project.name !== 'desktop-js', 'one walk is enough');
  const w = await world(page, 'export');
  await page.goto(base(w.sub) + '/settings/data');
  await hydrated(page);
  const card = page.getByTestId('export');
  await expect(card).toContainText('No exports yet.');
  await card.getByRole('button', { name: 'Export all data' }).click();
  // Progress, then ready (the server's worker builds it in the background;
  // the page follows without a reload).
  await expect(card.getByTestId('export-ready')).toBeVisible({ timeout: 60_000 });
  await expect(card.getByTestId('export-ready')).toContainText('Ready');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    card.getByRole('link', { name: 'Download' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${w.sub}-export-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
  const dir = mkdtempSync(join(tmpdir(), 'export-'));
  const file = join(dir, 'a.zip');
  await download.saveAs(file);
  const script = `
import sys, zipfile, sqlite3, json, hashlib, os
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
m = json.loads(z.read('manifest.json'))
for f in m['files']:
    assert hashlib.sha256(z.read(f['path'])).hexdigest() == f['sha256'], f['path']
csv = z.read('csv/customers.csv').decode()
db = os.path.join(os.path.dirname(sys.argv[1]), 'a.sqlite')
open(db, 'wb').write(z.read('fenceline.sqlite'))
names = [r[0] for r in sqlite3.connect(db).execute('select name from customers')]
print(json.dumps({'csv': csv, 'names': names, 'workspace': m['workspace']}))
`;
  writeFileSync(join(dir, 'check.py'), script);
  const out = JSON.parse(execFileSync('python3', [join(dir, 'check.py'), file]).toString());
  expect(out.workspace).toBe(w.sub);
  expect(out.csv).toContain('Hana Homeowner');
  expect(out.names).toEqual(['Hana Homeowner']);
  // After a reload the export is still listed, ready.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('exports')).toContainText('Ready');
  // A second export can be asked for once the first is done.
  await expect(card.getByRole('button', { name: 'Export all data' })).toBeEnabled();
});

test('the owner restores from a listed export and from the file', async ({ page }, info) => {
  test.skip(info.project.name !== 'desktop-js', 'one walk is enough');
  const w = await world(page, 'restore');
  await page.goto(base(w.sub) + '/settings/data');
  await hydrated(page);
  const card = page.getByTestId('export');
  await card.getByRole('button', { name: 'Export all data' }).click();
  await expect(card.getByTestId('export-ready')).toBeVisible({ timeout: 60_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    card.getByRole('link', { name: 'Download' }).click(),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), 'restore-')), 'a.zip');
  await download.saveAs(file);

  // A change after the export.
  await call(page, 'customers/create', {
    'form[name]': 'Late Larry', 'form[email]': `larry@${w.sub}.example`, 'form[phone]': '',
    'form[street]': '1 Elm St', 'form[city]': 'Austin', 'form[state]': 'TX', 'form[zip]': '78701',
  });
  await page.reload();
  await hydrated(page);
  await card.getByTestId('restore-button').click();
  const confirm = page.getByTestId('restore-confirm');
  await expect(confirm).toContainText('Restore the export of');
  const customers = confirm.getByTestId('restore-preview').getByRole('row', { name: /Customers/ });
  await expect(customers).toContainText('2');
  await expect(customers).toContainText('1');
  const replace = confirm.getByRole('button', { name: 'Replace everything with this archive' });
  // Without the word, the browser keeps the form from going.
  await replace.click();
  await expect(page.getByTestId('restore-list')).toHaveCount(0);
  await confirm.getByLabel('Type RESTORE to confirm').fill('RESTORE');
  await replace.click();
  await expect(confirm).toHaveCount(0);
  const restores = page.getByTestId('restore');
  await expect(restores.getByTestId('restore-done')).toContainText('Restored 1 customer', { timeout: 60_000 });
  await page.goto(base(w.sub) + '/customers');
  await hydrated(page);
  await expect(page.getByText('Hana Homeowner').first()).toBeVisible();
  await expect(page.getByText('Late Larry')).toHaveCount(0);

  // The file, uploaded: a wrong word first, then the right one.
  await page.goto(base(w.sub) + '/settings/data');
  await hydrated(page);
  await restores.locator('input[type=file]').setInputFiles(file);
  await restores.getByLabel('Type RESTORE to confirm').fill('please');
  await restores.getByRole('button', { name: 'Upload and restore' }).click();
  await expect(page.getByTestId('restore-error')).toContainText('Type RESTORE');
  await hydrated(page);
  await restores.locator('input[type=file]').setInputFiles(file);
  await restores.getByLabel('Type RESTORE to confirm').fill('RESTORE');
  await restores.getByRole('button', { name: 'Upload and restore' }).click();
  await expect(restores).toContainText('the restore is queued');
  await expect(restores.getByTestId('restore-list')).toContainText('from the file a.zip');
  await expect(restores.getByTestId('restore-done')).toHaveCount(2, { timeout: 60_000 });
});
