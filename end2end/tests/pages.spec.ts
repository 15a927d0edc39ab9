import { test, expect, Page } from '@playwright/test';

// Every page, opened directly (a reload, a bookmark, a new tab): with
// JavaScript on it hydrates without an error and a link then navigates in
// the app (a dead page would fall back to a full page load); on a phone it
// fits 360 px without sideways scrolling. (Issue 9: customer pages failed to
// hydrate on a direct load, the quotes and jobs lists were 533 px wide.)

import { base, world } from './world';

/** Opens `url` directly; with JavaScript, waits for hydration and fails on any page error. */
async function open(page: Page, url: string, js: boolean, errors: string[]) {
  errors.length = 0;
  await page.goto(url);
  await page.waitForLoadState('load');
  if (js) {
    await page.waitForSelector('body[data-hydrated]', { timeout: 20_000 })
      .catch(() => { throw new Error(`${url} never hydrated: ${errors.join(' | ')}`); });
    // A mismatch can be reported just after the page marks itself live.
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(250);
    expect(errors, `${url}: errors while hydrating`).toEqual([]);
  }
}

/** Sideways scrolling on the page itself (tables may scroll inside their box). */
async function overflow(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Follows `link` and checks the app, not a full page load, handled it. */
async function follows(page: Page, link: ReturnType<Page['getByRole']>, to: RegExp) {
  await page.evaluate(() => { (window as any).__stay = 1; });
  await link.first().click();
  await page.waitForURL(to);
  expect(await page.evaluate(() => (window as any).__stay), 'navigated in the app').toBe(1);
}

test('every page hydrates on a direct load, links work, and it fits a phone', async ({ page }, info) => {
  test.setTimeout(240_000);
  const js = info.project.use.javaScriptEnabled !== false;
  const phone = info.project.name.startsWith('phone');
  if (phone) await page.setViewportSize({ width: 360, height: 740 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  const w = await world(page, info.project.name);
  const t = base(w.sub);
  const pages = [
    '/', '/customers', '/customers/new', `/customers/${w.customer}`, `/customers/${w.customer}/edit`,
    `/customers/${w.customer}/properties/new`, `/properties/${w.property}`, `/properties/${w.property}/edit`,
    '/quotes', `/quotes/${w.quote}`, `/quotes/${w.quote}/print`, '/jobs', `/jobs/${w.job}`,
    '/settings', '/settings/team', '/settings/pricebook', '/settings/data', '/settings/import', '/settings/plan', '/onboarding',
    '/schedule', '/schedule?view=day', '/schedule/batteries', '/crews', '/today',
  ];
  for (const path of pages) {
    await open(page, t + path, js, errors);
    await expect(page.locator('main')).not.toContainText('Something went wrong');
    if (phone) expect(await overflow(page), `${path} is wider than the phone`).toBeLessThanOrEqual(0);
    if (js && !path.endsWith('/print')) {
      // Repeated for every page: a page that failed to hydrate has dead links.
      await follows(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }), /\/jobs$/);
      await expect(page.getByRole('heading', { name: 'Jobs', exact: true })).toBeVisible();
    }
  }

  // What others open: the homeowner's link, the login pages, the platform's.
  const other = await page.context().browser()!.newContext({
    javaScriptEnabled: js, viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 800 },
  });
  const anon = await other.newPage();
  anon.on('pageerror', (e) => errors.push(String(e)));
  anon.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  for (const url of [`${t}/q/${w.token}`, `${t}/login`, `${t}/forgot-password`, base() + '/', base() + '/signup', base() + '/find', base() + '/admin/login']) {
    await open(anon, url, js, errors);
    if (phone) expect(await overflow(anon), `${url} is wider than the phone`).toBeLessThanOrEqual(0);
  }
  await open(anon, `${t}/login`, js, errors);
  if (js) await follows(anon, anon.getByRole('link', { name: /forgot/i }), /forgot-password/);
  await other.close();
});

test("dates are written as the reader's browser language writes them", async ({ page, browser }, info) => {
  // Issue 9: dates in the user's locale. The same customer page read from a
  // US browser and a British one, with and without JavaScript (the server's
  // page and the hydrated one agree).
  const js = info.project.use.javaScriptEnabled !== false;
  const w = await world(page, 'dates');
  const state = await page.context().storageState();
  const errors: string[] = [];
  for (const [locale, shape] of [
    ['en-US', /^[A-Z][a-z]{2} \d{1,2}, \d{4}$/],
    ['en-GB', /^\d{1,2} [A-Z][a-z]{2} \d{4}$/],
    ['ja-JP', /^\d{4}-\d{2}-\d{2}$/],
  ] as const) {
    const ctx = await browser.newContext({ storageState: state, locale, javaScriptEnabled: js });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await open(p, `${base(w.sub)}/customers/${w.customer}`, js, errors);
    const added = p.locator('dt', { hasText: 'Added' }).locator('xpath=following-sibling::dd[1]');
    await expect(added).toHaveText(shape);
    await ctx.close();
  }
});
