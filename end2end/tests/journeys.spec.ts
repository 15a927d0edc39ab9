import { test, expect, Page } from '@playwright/test';

// What users met walking the app (issue 9), each a browser check that failed
// before its fix: settings that looked unsaved, a sent quote's link silently
// killed by an edit, a bad field blanking the quote, a failed form leaving
// the user at the top of the page.

import { base, call, world } from './world';

async function ready(page: Page) {
  await page.waitForLoadState('load');
  await page.waitForSelector('body[data-hydrated]');
}

test.beforeEach(async ({}, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'live pages: JavaScript on');
});

test('company settings show what was saved, with a confirmation', async ({ page }, info) => {
  const w = await world(page, `c-${info.project.name}`);
  await page.goto(base(w.sub) + '/settings');
  await ready(page);
  await page.getByLabel(/^Phone/).fill('(512) 555-0199');
  await page.getByLabel(/^Support email/).fill(`help@${w.sub}.example`);
  await page.getByRole('button', { name: 'Save company details' }).click();
  await expect(page.getByText('Saved.').first()).toBeVisible();
  // The form keeps the new values (it used to redraw with the old ones).
  await expect(page.getByLabel(/^Phone/)).toHaveValue('(512) 555-0199');
  await expect(page.getByLabel(/^Support email/)).toHaveValue(`help@${w.sub}.example`);
  await page.reload();
  await ready(page);
  await expect(page.getByLabel(/^Phone/)).toHaveValue(/555-0199/);
});

test('editing a sent quote warns first and offers to send the new version', async ({ page }, info) => {
  const w = await world(page, `s-${info.project.name}`);
  await page.goto(base(w.sub) + `/quotes/${w.quote}`);
  await ready(page);
  await expect(page.getByTestId('quote-status')).toHaveText('Sent');
  await expect(page.getByTestId('sent-edit-warning')).toHaveCount(0);
  await page.getByLabel('Discount (%)').fill('5');
  await expect(page.getByTestId('sent-edit-warning')).toBeVisible();
  await page.getByRole('button', { name: 'Save as a new draft' }).click();
  await expect(page.getByText(/no longer works: send them this version/)).toBeVisible();
  await page.getByRole('button', { name: 'Send the new version' }).click();
  await expect(page.getByTestId('approval-link')).toHaveValue(/\/q\//);
  await expect(page.getByTestId('quote-status')).toHaveText('Sent');
});

test('a bad field keeps the last figures on screen, and a loss is flagged', async ({ page }, info) => {
  const w = await world(page, `b-${info.project.name}`);
  const q = await call(page, 'quotes/create', { property_id: w.property });
  await page.goto(base(w.sub) + `/quotes/${q}`);
  await ready(page);
  const total = page.getByTestId('total');
  await expect(total).toContainText('$');
  const before = await total.innerText();
  await page.getByLabel('Discount (%)').fill('150');
  await expect(page.getByTestId('stale')).toBeVisible();
  await expect(total).toHaveText(before);
  await expect(page.getByTestId('roi')).toBeVisible();
  await expect(page.getByText(/between 0 and 100|at most 100/).first()).toBeVisible();
  // An item without its price yet: the same.
  await page.getByLabel('Discount (%)').fill('0');
  await expect(page.getByTestId('stale')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add item' }).click();
  await expect(page.getByTestId('stale')).toBeVisible();
  await expect(total).toContainText('$');
  await page.getByRole('button', { name: 'Remove' }).click();
  // A price below cost says so.
  await page.getByLabel('Price override ($)').fill('10');
  await expect(page.getByTestId('negative-margin')).toBeVisible();
});

test('a refused form focuses the field to fix, not the top of the page', async ({ page, browser }, info) => {
  const w = await world(page, `f-${info.project.name}`);
  const homeowner = await browser.newContext({ viewport: page.viewportSize()! , isMobile: info.project.use.isMobile, hasTouch: info.project.use.hasTouch });
  const h = await homeowner.newPage();
  await h.goto(base(w.sub) + `/q/${w.token}`);
  await ready(h);
  // No installer's private state on the homeowner's page.
  await expect(h.locator('.trialbar')).toHaveCount(0);
  const name = h.getByLabel(/name/i).first();
  await name.fill('x');
  await h.getByRole('button', { name: /approve/i }).first().click();
  await expect(name).toBeFocused();
  await homeowner.close();
});

test('the plan keeps its width across saves and reloads', async ({ page }, info) => {
  const w = await world(page, `w-${info.project.name}`);
  await page.goto(base(w.sub) + `/properties/${w.property}`);
  await ready(page);
  const plan = page.getByTestId('plan');
  await plan.scrollIntoViewIfNeeded();
  await page.getByRole('button', { name: 'Clear…' }).click();
  await page.getByRole('button', { name: 'Clear all' }).click();
  const box = (await plan.boundingBox())!;
  // Corners near the plan's edges, as a user fills the plan.
  for (const [fx, fy] of [[0.06, 0.08], [0.94, 0.08], [0.94, 0.92], [0.06, 0.92]]) {
    const [x, y] = [box.x + box.width * fx, box.y + box.height * fy];
    if (info.project.use.hasTouch) await page.touchscreen.tap(x, y);
    else await page.mouse.click(x, y);
  }
  const width = page.getByLabel('Plan width in feet');
  const widths: string[] = [];
  for (let i = 0; i < 3; i++) {
    await page.getByRole('button', { name: 'Save boundary' }).click();
    await expect(page.getByText('Boundary saved.')).toBeVisible();
    await page.reload();
    await ready(page);
    widths.push(await width.inputValue());
  }
  expect(widths[1]).toBe(widths[0]);
  expect(widths[2]).toBe(widths[0]);
});
