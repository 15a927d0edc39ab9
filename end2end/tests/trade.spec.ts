import { test, expect, Page } from '@playwright/test';
import { png } from './world';

// The installer's trade, desktop and phone (JavaScript on: the boundary
// designer and the live quote need it): customer and property -> draw the
// boundary -> quote with live totals -> approval link in a fresh browser
// context -> job -> before/after photos -> completed.

const PORT = process.env.BASE_PORT ?? '3100';
const base = (sub?: string) => `http://${sub ? sub + '.' : ''}localhost:${PORT}`;
const PASSWORD = 'a fine long password';

const PNG = png(64);

async function ready(page: Page) {
  await page.waitForLoadState('load');
  await page.waitForSelector('body[data-hydrated]');
}

/** Taps (touch projects) or clicks the plan at fractions of its size. */
async function tapPlan(page: Page, fx: number, fy: number) {
  await page.getByTestId('plan').scrollIntoViewIfNeeded();
  const box = (await page.getByTestId('plan').boundingBox())!;
  const [x, y] = [box.x + box.width * fx, box.y + box.height * fy];
  if (test.info().project.use.hasTouch) await page.touchscreen.tap(x, y);
  else await page.mouse.click(x, y);
}

async function dragPlan(page: Page, from: [number, number], to: [number, number]) {
  await page.getByTestId('plan').scrollIntoViewIfNeeded();
  const box = (await page.getByTestId('plan').boundingBox())!;
  await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * (from[0] + to[0]) / 2, box.y + box.height * (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 4 });
  await page.mouse.up();
}

const boundaryFt = async (page: Page) =>
  Number((await page.getByTestId('lengths').innerText()).match(/Boundary (\d+) ft/)![1]);

test('a lead becomes a quoted, approved, photo-verified job', async ({ page, browser }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'the boundary designer and live quote need JavaScript');
  const sub = `t-${info.project.name}-${Date.now().toString(36)}`.slice(0, 30).replace(/-+$/, '');

  // A business on the Growth plan (signup itself is covered by flow.spec).
  const r = await page.request.post(base() + '/api/signup', {
    headers: { Origin: base() },
    form: {
      'form[company]': `Trade Co ${info.project.name}`, 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
      'form[email]': `owner@${sub}.example`, 'form[password]': PASSWORD, 'form[plan]': 'growth',
    },
  });
  expect(r.status()).toBe(200);
  await page.goto(await r.json());
  await ready(page);

  // Customer, then the property where the fence goes.
  await page.goto(base(sub) + '/customers/new');
  await ready(page);
  await page.getByLabel(/^Name/).fill('Hana Homeowner');
  await page.getByLabel(/^Email/).fill(`hana@${sub}.example`);
  await page.getByLabel(/^Street address/).fill('12 Oak St');
  await page.getByLabel(/^City/).fill('Austin');
  await page.getByLabel(/^State/).selectOption('TX');
  await page.getByLabel(/^ZIP code/).fill('78701');
  await page.getByRole('button', { name: 'Save customer' }).click();
  await expect(page.getByRole('heading', { name: 'Hana Homeowner' })).toBeVisible();
  await page.getByRole('link', { name: 'Add property' }).click();
  await ready(page);
  await page.getByLabel(/^Street address/).fill('12 Oak St');
  await page.getByLabel(/^City/).fill('Austin');
  await page.getByLabel(/^State/).selectOption('TX');
  await page.getByLabel(/^ZIP code/).fill('787');
  await page.getByRole('button', { name: 'Add property' }).click();
  await expect(page.getByText('Enter a 5-digit ZIP code').first()).toBeVisible();
  await page.getByLabel(/^ZIP code/).fill('78701');
  await page.getByLabel(/^Lot size/).fill('21780');
  await page.getByRole('button', { name: 'Add property' }).click();
  await expect(page.getByRole('heading', { name: '12 Oak St' })).toBeVisible();
  await ready(page);
  // The ZIP code set a default location (no online service).
  await expect(page.getByText(/30\.\d+, -97\.\d+/)).toBeVisible();

  // A pet.
  await page.getByText('Add a pet').click();
  await page.getByLabel(/^Name/).fill('Rex');
  await page.getByLabel(/^Weight/).fill('60');
  await page.getByRole('button', { name: 'Add pet' }).click();
  await expect(page.getByText('Rex', { exact: true })).toBeVisible();
  await ready(page);
  // The form is emptied and folded away, ready for the next pet.
  await expect(page.getByLabel(/^Name/)).toHaveValue('');
  await expect(page.getByLabel(/^Weight/)).toHaveValue('');
  expect(await page.locator('details.add-pet').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);

  // Draw the boundary: four corners, the transmitter and the lead.
  await tapPlan(page, 0.25, 0.2);
  await tapPlan(page, 0.75, 0.2);
  await tapPlan(page, 0.75, 0.8);
  await tapPlan(page, 0.25, 0.8);
  const drawn = await boundaryFt(page);
  expect(drawn).toBeGreaterThan(300);
  await page.getByRole('button', { name: 'Transmitter' }).click();
  await expect(page.getByRole('button', { name: 'Transmitter' })).toHaveAttribute('aria-pressed', 'true');
  await tapPlan(page, 0.5, 0.5);
  await expect(page.locator('.plan circle.handle.tx')).toHaveCount(1);
  await page.getByRole('button', { name: 'Lead', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Lead', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await tapPlan(page, 0.5, 0.8);
  await expect(page.locator('.plan circle.handle.ld')).toHaveCount(1);
  await expect(page.getByTestId('lengths')).toContainText(/lead [1-9]\d* ft/);
  // Move the pin a little: the location follows, the drawing stays put.
  const located = await page.getByTestId('location').innerText();
  await page.getByRole('button', { name: 'Move pin' }).click();
  await tapPlan(page, 0.55, 0.45);
  await expect(page.getByTestId('location')).not.toHaveText(located);
  await page.getByRole('button', { name: 'Boundary', exact: true }).click();
  // Move a corner outwards: the loop grows at once.
  await dragPlan(page, [0.75, 0.8], [0.9, 0.95]);
  expect(await boundaryFt(page)).toBeGreaterThan(drawn);
  await page.getByRole('button', { name: 'Save boundary' }).click();
  await expect(page.getByText('Boundary saved.')).toBeVisible();

  // A quote, priced live in the browser.
  await page.getByRole('button', { name: 'New quote' }).click();
  await page.waitForURL(/\/quotes\/[0-9a-f-]+$/);
  await ready(page);
  const total = page.getByTestId('total');
  await expect(total).toContainText('$');
  const before = await total.innerText();
  await page.getByLabel('Discount (%)').fill('10');
  await expect(total).not.toHaveText(before);
  const discounted = await total.innerText();
  await expect(page.getByTestId('margin')).toContainText('$');
  await expect(page.getByTestId('roi')).toContainText('Wood privacy');
  // Drag a boundary point in the quote: totals follow without saving.
  await dragPlan(page, [0.9, 0.95], [0.97, 0.98]);
  await expect(total).not.toHaveText(discounted);
  // A bad number says what to fix.
  await page.getByLabel('Tax rate (%)').fill('abc');
  await expect(page.getByText('Tax rate must be a number').first()).toBeVisible();
  await page.getByLabel('Tax rate (%)').fill('8.25');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Saved as version 2.')).toBeVisible();
  const saved = await total.innerText();
  await page.getByRole('button', { name: 'Send to customer' }).click();
  const link = await page.getByTestId('approval-link').inputValue();
  expect(link).toContain(`${sub}.localhost`);

  // The customer opens the link in a fresh browser (no session) and approves.
  const customer = await browser.newContext({ ...info.project.use });
  const cpage = await customer.newPage();
  await cpage.goto(link);
  await ready(cpage);
  await expect(cpage.getByTestId('doc-total')).toHaveText(saved);
  await expect(cpage.getByText('margin', { exact: false })).toHaveCount(0);
  await cpage.getByLabel('Type your full name to approve').fill('H');
  await cpage.getByRole('button', { name: /^Approve/ }).click();
  await expect(cpage.getByText('Type your full name to approve the quote.').first()).toBeVisible();
  await cpage.getByLabel('Type your full name to approve').fill('Hana Homeowner');
  await cpage.getByRole('button', { name: /^Approve/ }).click();
  await expect(cpage.getByTestId('decision')).toContainText('Approved by Hana Homeowner');
  await customer.close();

  // The installer turns it into a job.
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('quote-status')).toHaveText('Approved');
  await page.getByRole('button', { name: 'Create job' }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+/);
  await ready(page);
  await expect(page.getByTestId('job-status')).toHaveText('Approved');
  await page.getByLabel('Day').fill('2026-12-01');
  await page.getByRole('button', { name: 'Schedule' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('Scheduled');
  await page.getByRole('button', { name: 'Start job' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('In progress');
  await expect(page.getByRole('button', { name: 'Complete job' })).toBeDisabled();

  // The crew's photos: a wrong file first, then before and after.
  await page.getByLabel('Photo', { exact: true }).setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByText('not a JPEG, PNG or WebP photo')).toBeVisible();
  await ready(page);
  for (const kind of ['before', 'after']) {
    await page.getByLabel('Photo type').selectOption(kind);
    await page.getByLabel('Photo', { exact: true }).setInputFiles({ name: `${kind}.png`, mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/#photos$/);
    await ready(page);
    await expect(page.getByAltText(`${kind} photo`)).toBeVisible();
  }
  await page.getByRole('button', { name: 'Complete job' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('Completed');
  await expect(page.getByText('In progress → Completed')).toBeVisible();
});

test('without JavaScript, the customer approves and the crew finishes the job', async ({ page, browser }, info) => {
  test.skip(info.project.use.javaScriptEnabled !== false, 'the JavaScript projects run the full flow above');
  const sub = `n-${info.project.name}-${Date.now().toString(36)}`.slice(0, 30).replace(/-+$/, '');
  // Node cannot resolve *.localhost (the browser can): call the API on
  // 127.0.0.1 with the tenant's Host and the page's session cookie.
  const api = async (path: string, form: Record<string, string>) => {
    const cookie = (await page.context().cookies(base(sub))).map(c => `${c.name}=${c.value}`).join('; ');
    const r = await page.request.post(`http://127.0.0.1:${PORT}${path}`, {
      headers: { Host: `${sub}.localhost:${PORT}`, Origin: base(sub), Cookie: cookie }, form,
    });
    expect(r.status(), `${path}: ${await r.text()}`).toBe(200);
    return r.json();
  };
  // Set-up through the API (the drawing needs JavaScript).
  const r = await page.request.post(base() + '/api/signup', {
    headers: { Origin: base() },
    form: {
      'form[company]': `NoJS Co ${info.project.name}`, 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
      'form[email]': `owner@${sub}.example`, 'form[password]': PASSWORD, 'form[plan]': 'growth',
    },
  });
  await page.goto(await r.json());
  const customer = await api('/api/customers/create', {
    'form[name]': 'Nora Nojs', 'form[street]': '5 Elm St', 'form[city]': 'Boise', 'form[state]': 'ID', 'form[zip]': '83706',
  });
  const property = await api('/api/properties/create', {
    customer_id: customer, 'form[street]': '5 Elm St', 'form[city]': 'Boise', 'form[state]': 'ID', 'form[zip]': '83706',
    'form[lot_sqft]': '10000',
  });
  const quote = await api('/api/quotes/create', { property_id: property });
  const sent = await api('/api/quotes/send', { id: quote });

  // The printable quote renders on the server.
  await page.goto(base(sub) + `/quotes/${quote}/print`);
  await expect(page.getByTestId('doc-total')).toContainText('$');

  // The customer, no JavaScript, fresh browser: approve with a typed name.
  const customerCtx = await browser.newContext({ ...info.project.use });
  const cpage = await customerCtx.newPage();
  await cpage.goto(sent.link);
  await cpage.getByLabel('Type your full name to approve').fill('Nora Nojs');
  await cpage.getByRole('button', { name: /^Approve/ }).click();
  await expect(cpage.getByTestId('decision')).toContainText('Approved by Nora Nojs');
  await customerCtx.close();

  // The installer makes it a job; the crew works it from the phone.
  await page.goto(base(sub) + `/quotes/${quote}`);
  await expect(page.getByTestId('quote-status')).toHaveText('Approved');
  await page.getByRole('button', { name: 'Create job' }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f-]+/);
  await page.getByLabel('Day').fill('2026-12-02');
  await page.getByRole('button', { name: 'Schedule' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('Scheduled');
  await page.getByRole('button', { name: 'Start job' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('In progress');
  for (const kind of ['before', 'after']) {
    await page.getByLabel('Photo type').selectOption(kind);
    await page.getByLabel('Photo', { exact: true }).setInputFiles({ name: `${kind}.png`, mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.getByAltText(`${kind} photo`)).toBeVisible();
  }
  await page.getByRole('button', { name: 'Complete job' }).click();
  await expect(page.getByTestId('job-status')).toHaveText('Completed');
});
