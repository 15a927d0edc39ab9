import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

// Subscriptions (issue 11), through the real UI and the Stripe stand-in's
// hosted pages: signup -> trial banner -> checkout -> active -> the SMS
// add-on -> a failed renewal -> the banner -> read-only past the grace
// period (a write refused with the message) -> pay -> restored. With and
// without JavaScript, at desktop and phone sizes.

const PORT = process.env.BASE_PORT ?? '3100';
const base = (sub?: string) => `http://${sub ? sub + '.' : ''}localhost:${PORT}`;
const STRIPE = process.env.STRIPE_FAKE_URL ?? `http://127.0.0.1:${Number(PORT) + 11}`;
const PASSWORD = 'a fine long password';

function psql(sql: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL is not set');
  return execFileSync(process.env.PSQL ?? 'psql', [url, '-Atc', sql]).toString().trim();
}

async function ready(page: Page, js: boolean) {
  await page.waitForLoadState('load');
  if (js) await page.waitForSelector('body[data-hydrated]');
}

async function fillCustomer(page: Page, name: string, email: string) {
  await page.getByLabel(/^Name/).fill(name);
  await page.getByLabel(/^Email/).fill(email);
  await page.getByLabel(/^Street address/).fill('12 Oak St');
  await page.getByLabel(/^City/).fill('Austin');
  await page.getByLabel(/^State/).selectOption('TX');
  await page.getByLabel(/^ZIP code/).fill('78701');
}

async function openBilling(page: Page, sub: string, js: boolean) {
  await page.goto(base(sub) + '/settings/billing');
  await ready(page, js);
  await expect(page.getByTestId('subscription')).toBeVisible();
}

test('a trial converts, buys an add-on, survives a failed renewal and is restored by paying', async ({ page }, info) => {
  const js = info.project.use.javaScriptEnabled !== false;
  const sub = `b-${info.project.name}-${Date.now().toString(36)}`.slice(0, 30).replace(/-+$/, '');
  const r = await page.request.post(base() + '/api/signup', {
    headers: { Origin: base() },
    form: {
      'form[company]': `Billing Co ${info.project.name}`, 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
      'form[email]': `owner@${sub}.example`, 'form[password]': PASSWORD, 'form[plan]': 'starter',
    },
  });
  expect(r.status()).toBe(200);
  await page.goto(await r.json());
  await ready(page, js);

  // The trial and its banner.
  await expect(page.getByText(/Free trial: 14 days left on the Starter plan/)).toBeVisible();
  await openBilling(page, sub, js);
  await expect(page.getByTestId('billing-state')).toContainText('Your free trial ends on');
  // Skip to the trial's last day: adding a card now charges at once.
  psql(`update organizations set trial_ends_at = now() + interval '1 day' where subdomain = '${sub}'`);
  // (A change made by hand reaches the app's caches by the database's
  // announcement, within milliseconds: README, "Caches".)
  await page.waitForTimeout(300);

  // Checkout on the stand-in's hosted page.
  await openBilling(page, sub, js);
  await page.getByTestId('subscription').getByRole('button', { name: 'Add a card' }).click();
  await page.waitForURL(/\/pay\/checkout\//);
  await expect(page.getByText('Starter plan')).toBeVisible();
  await page.locator('button[data-card="good"]').click();
  await page.waitForURL(/\/settings\/billing\?checkout=cs_test_/);
  await ready(page, js);
  await expect(page.getByTestId('billing-notice')).toContainText('your subscription is active');
  await expect(page.getByTestId('billing-status')).toHaveText('Active');
  await expect(page.getByTestId('card')).toContainText('Visa •••• 4242');
  await expect(page.getByText(/Free trial:/)).toHaveCount(0);

  // The SMS add-on.
  await page.locator('button[data-addon="sms"]').click();
  await expect(page.getByRole('button', { name: 'Remove SMS notifications' })).toBeVisible();
  await expect(page.locator('.plan-current .amount')).toHaveText('$49.00');

  // A card that will decline, then the renewal a month later.
  await page.getByRole('button', { name: 'Manage card and invoices' }).click();
  await page.waitForURL(/\/pay\/portal\//);
  await page.locator('button[data-card="declining"]').click();
  await expect(page.getByText('Card on file: visa ending 0341')).toBeVisible();
  const clock = await page.request.post(`${STRIPE}/_fake/clock?days=31`);
  expect(clock.status()).toBe(200);
  await page.getByRole('link', { name: 'Return to the app' }).click();
  await ready(page, js);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('billing-bar')).toContainText('Your last subscription payment failed', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('invoices')).toContainText('Payment failed');

  // Past the grace period: read-only, a write refused with the message.
  psql(`update organizations set past_due_since = now() - interval '8 days' where subdomain = '${sub}'`);
  // (A change made by hand reaches the app's caches by the database's
  // announcement, within milliseconds: README, "Caches".)
  await page.waitForTimeout(300);
  await page.goto(base(sub) + '/customers/new');
  await ready(page, js);
  await expect(page.getByTestId('billing-bar')).toContainText('read-only');
  await fillCustomer(page, 'Too Late', `late@${sub}.example`);
  await page.getByRole('button', { name: 'Save customer' }).click();
  await expect(page.getByText(/read-only/).first()).toBeVisible();
  expect(psql(`select count(*) from customers c join organizations o on o.id = c.org_id where o.subdomain = '${sub}'`)).toBe('0');
  // Still visible: moving between pages in the app (server functions, all
  // posts) shows them, not the refusal.
  if (js) {
    await page.locator('header').getByRole('link', { name: 'Quotes' }).first().click();
    await page.waitForURL(/\/quotes$/);
    await expect(page.getByRole('heading', { name: 'Quotes', level: 1 })).toBeVisible();
    await expect(page.locator('main')).not.toContainText('nothing new can be saved');
    await page.locator('header').getByRole('link', { name: 'Customers' }).first().click();
    await page.waitForURL(/\/customers$/);
    await expect(page.getByRole('heading', { name: 'Customers', level: 1 })).toBeVisible();
    await expect(page.locator('main')).not.toContainText('nothing new can be saved');
  }

  // Pay: a good card in the portal pays what is due, and everything is back.
  await openBilling(page, sub, js);
  await page.getByRole('button', { name: 'Manage card and invoices' }).click();
  await page.waitForURL(/\/pay\/portal\//);
  await page.locator('button[data-card="good"]').click();
  await expect(page.getByText('Card on file: visa ending 4242')).toBeVisible();
  await page.getByRole('link', { name: 'Return to the app' }).click();
  await ready(page, js);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('billing-status')).toHaveText('Active', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('billing-bar')).toHaveCount(0);
  await page.goto(base(sub) + '/customers/new');
  await ready(page, js);
  await fillCustomer(page, 'Welcome Back', `back@${sub}.example`);
  await page.getByRole('button', { name: 'Save customer' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome Back' })).toBeVisible();
});
