import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

// signup -> wizard -> add customer -> logout -> login -> invitation accepted
// by a second user; run by every project (JS on/off, desktop/phone).

const PORT = process.env.BASE_PORT ?? '3100';
const base = (sub?: string) => `http://${sub ? sub + '.' : ''}localhost:${PORT}`;
const PASSWORD = 'a fine long password';

/** After a full page load with JavaScript on, wait until the app is hydrated. */
async function ready(page: Page) {
  await page.waitForLoadState('load');
  if (test.info().project.use.javaScriptEnabled !== false) {
    await page.waitForSelector('body[data-hydrated]');
  }
}

/** The newest email to an address, from the test database's outbox. */
function lastEmail(to: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL is not set');
  return execFileSync(process.env.PSQL ?? 'psql', [url, '-Atc',
    `select body from outbox where to_email = '${to}' order by created_at desc limit 1`]).toString();
}

test('a business signs up, sets up, adds a customer and brings in a teammate', async ({ page, browser }, info) => {
  const sub = `e2e-${info.project.name}-${Date.now().toString(36)}`.slice(0, 32).replace(/-+$/, '');
  const email = `owner@${sub}.example`;
  const js = info.project.use.javaScriptEnabled !== false;

  // Pricing, then signup on the platform domain.
  await page.goto(base() + '/');
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Simple plans' })).toBeVisible();
  await page.getByRole('link', { name: 'Try Growth free' }).click();
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Start your 14-day free trial' })).toBeVisible();

  // Bad input first: every field says what to fix, nothing is created.
  await page.getByLabel(/^Company name/).fill('Bad Co');
  await page.getByLabel(/^Workspace address/).fill('-bad-');
  await page.getByLabel(/^Work email/).fill('not-an-email');
  await page.getByLabel(/^Password/).fill('short');
  await page.getByRole('button', { name: 'Create my workspace' }).click();
  await ready(page);
  await expect(page.getByText('Start and end with a letter or digit.').first()).toBeVisible();
  await expect(page.getByText('Use at least 10 characters for the password.').first()).toBeVisible();

  await page.getByLabel(/^Company name/).fill(`Acme Fence ${info.project.name}`);
  await page.getByLabel(/^Workspace address/).fill(sub);
  if (js) await expect(page.getByText(`${sub}.localhost is available.`)).toBeVisible();
  await page.getByLabel(/^Your name/).fill('Olive Owner');
  await page.getByLabel(/^Work email/).fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByLabel(/Growth/).check();
  await page.getByRole('button', { name: 'Create my workspace' }).click();

  // Landed on our own subdomain, logged in, in the wizard.
  await page.waitForURL(base(sub) + '/onboarding');
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Set up your workspace' })).toBeVisible();

  // Company details.
  await page.getByLabel(/^Support email/).fill(`help@${sub}.example`);
  await page.getByLabel(/^Phone/).fill('512 555 0199');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page.getByRole('heading', { name: 'Branding' })).toBeVisible();
  await ready(page);

  // Brand colour, applied at once.
  await page.getByLabel('Brand colour').fill('#aa3300');
  await page.getByRole('button', { name: 'Save colour and continue' }).click();
  await expect(page.getByRole('heading', { name: 'Pricing zone' })).toBeVisible();
  await ready(page);
  await expect(page.locator('header.topbar')).toHaveCSS('border-top-color', 'rgb(170, 51, 0)');

  // Home state.
  await page.getByLabel(/^Home state/).selectOption('TX');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await expect(page.getByRole('heading', { name: 'Invite your team' })).toBeVisible();
  await ready(page);

  // Invite a teammate.
  const mate = `crew@${sub}.example`;
  await page.getByLabel(/^Email/).fill(mate);
  await page.getByLabel(/^Role/).selectOption('crew');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  if (js) {
    await expect(page.getByText(`Invitation sent to ${mate} as Crew.`)).toBeVisible();
    await page.getByRole('link', { name: 'Continue →' }).click();
  }
  await expect(page.getByRole('heading', { name: 'Add your first customer' })).toBeVisible();
  await ready(page);

  // First customer, with a mistake fixed on the way.
  await page.getByLabel(/^Name/).fill('Dana Reyes');
  await page.getByLabel(/^Email/).fill('dana@home.example');
  await page.getByLabel(/^Street address/).fill('1804 W 34th St');
  await page.getByLabel(/^City/).fill('Austin');
  await page.getByLabel(/^State/).selectOption('TX');
  await page.getByLabel(/^ZIP code/).fill('787');
  await page.getByRole('button', { name: 'Save customer' }).click();
  await ready(page);
  await expect(page.getByText('Enter a 5-digit ZIP code').first()).toBeVisible();
  if (!js) {
    // Without JavaScript the form comes back empty after the redirect.
    await page.getByLabel(/^Name/).fill('Dana Reyes');
    await page.getByLabel(/^Email/).fill('dana@home.example');
    await page.getByLabel(/^Street address/).fill('1804 W 34th St');
    await page.getByLabel(/^City/).fill('Austin');
    await page.getByLabel(/^State/).selectOption('TX');
  }
  await page.getByLabel(/^ZIP code/).fill('78703');
  await page.getByRole('button', { name: 'Save customer' }).click();
  await expect(page.getByRole('heading', { name: "You're all set" })).toBeVisible();
  await ready(page);

  // The customer is in the list and opens.
  await page.goto(base(sub) + '/customers');
  await ready(page);
  await page.getByRole('link', { name: 'Dana Reyes' }).click();
  await expect(page.getByRole('heading', { name: 'Dana Reyes' })).toBeVisible();
  await expect(page.getByText('1804 W 34th St')).toBeVisible();

  // Log out, log back in.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/login/);
  await ready(page);
  await page.getByLabel(/^Email/).fill(email);
  await page.getByLabel(/^Password/).fill('wrong password!');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText("That email and password don't match an account here.")).toBeVisible();
  await ready(page);
  await page.getByLabel(/^Email/).fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  // The teammate accepts in a fresh browser and lands in the workspace.
  const link = lastEmail(mate).split(/\s+/).find((w) => w.startsWith('http://'))!;
  const other = await browser.newContext({ ...info.project.use, baseURL: undefined });
  const mp = await other.newPage();
  await mp.goto(link);
  await ready(mp);
  await expect(mp.getByRole('heading', { name: `Join Acme Fence ${info.project.name}` })).toBeVisible();
  await mp.getByLabel(/^Your name/).fill('Casey Crew');
  await mp.getByLabel(/^Password/).fill(PASSWORD);
  await mp.getByLabel(/^Repeat password/).fill(PASSWORD);
  await mp.getByRole('button', { name: 'Accept and join' }).click();
  await expect(mp.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await ready(mp);
  // Crew members see customers but no settings.
  await expect(mp.getByRole('link', { name: 'Customers', exact: true })).toBeVisible();
  await expect(mp.getByRole('link', { name: 'Settings' })).toHaveCount(0);
  await other.close();

  // The owner sees the new teammate on the team page.
  await page.goto(base(sub) + '/settings/team');
  await ready(page);
  await expect(page.getByText('Casey Crew', { exact: true })).toBeVisible();
});

test('an unknown company address gets a plain not-found page', async ({ page }) => {
  const r = await page.goto(base('no-such-company') + '/');
  expect(r?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
