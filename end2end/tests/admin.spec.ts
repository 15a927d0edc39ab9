import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { base, PASSWORD } from './world';

// Issue 13 in the browser: a platform administrator schedules a workspace's
// deletion from the tenant list (typing its subdomain), sees when it is due
// on its row, and calls it off.

function psql(sql: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL is not set');
  return execFileSync(process.env.PSQL ?? 'psql', [url, '-Atc', sql]).toString().trim();
}

// The argon2id hash of ADMIN_PASSWORD (made by `fence seed`).
const ADMIN_EMAIL = 'e2e-admin@platform.example';
const ADMIN_PASSWORD = 'admin-fence-2026';
const ADMIN_HASH = '$argon2id$v=19$m=19456,t=2,p=1$QVUOHIt0CNt1fs0KnPyfWA$6ldulb+Le1fZynVNOdb5EwLZQhokHWv34irPQECG50Q';

test('a platform admin schedules a deletion and calls it off', async ({ page }, info) => {
  test.skip(info.project.name !== 'desktop-js', 'one walk is enough');
  psql(`insert into platform.admins (id, email, name, password_hash)
        values (gen_random_uuid(), '${ADMIN_EMAIL}', 'E2E Admin', '${ADMIN_HASH}')
        on conflict do nothing`);
  const sub = `p-del-${Date.now().toString(36)}`;
  const r = await page.request.post(base() + '/api/signup', {
    headers: { Origin: base() },
    form: {
      'form[company]': 'Doomed Co', 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
      'form[email]': `owner@${sub}.example`, 'form[password]': PASSWORD, 'form[plan]': 'growth',
    },
  });
  expect(r.status()).toBe(200);

  await page.goto(base() + '/admin/login');
  await page.waitForSelector('body[data-hydrated]');
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/')),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  await page.goto(base() + `/admin?q=${sub}`);
  await page.waitForSelector('body[data-hydrated]');
  const row = page.getByRole('row', { name: /Doomed Co/ });
  await row.getByText('Delete…').click();
  await row.getByLabel(/Type .* to confirm/).fill('not-it');
  await row.getByRole('button', { name: 'Schedule deletion' }).click();
  await expect(page.getByText(`Type ${sub} to confirm.`)).toBeVisible();
  await row.getByLabel(/Type .* to confirm/).fill(sub);
  await row.getByRole('button', { name: 'Schedule deletion' }).click();
  await expect(row.getByTestId('deletion-due')).toContainText('Deletion due');
  expect(psql(`select deletion_requested_by from organizations where subdomain = '${sub}'`))
    .toBe(`platform administrator ${ADMIN_EMAIL}`);
  await row.getByRole('button', { name: 'Keep workspace' }).click();
  await expect(row.getByTestId('deletion-due')).toHaveCount(0);
  await expect(row.getByText('Delete…')).toBeVisible();
  expect(psql(`select deletion_due_at is null from organizations where subdomain = '${sub}'`)).toBe('t');
});
