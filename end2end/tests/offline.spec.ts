import { test, expect, Page, BrowserContext, Route } from '@playwright/test';
import { execFileSync } from 'node:child_process';

// The crew's phone with no signal (issue 10): once the day is opened it
// stays readable offline; starting, ticking the checklist, adding photos and
// completing a stop offline are kept on the phone ("n waiting to send"),
// then sent once each when the connection returns, and the office sees them.

import { base, call, png, world, PASSWORD } from './world';

const DAY = '2027-03-09';

function psql(sql: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL is not set');
  return execFileSync(process.env.PSQL ?? 'psql', [url, '-Atc', sql]).toString().trim();
}


async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated]', { timeout: 20_000 });
}

// Playwright's offline mode stops the page's own requests; the service
// worker's go out by another path, so they are cut here too.
const cut = (route: Route) =>
  route.request().serviceWorker() ? route.abort('internetdisconnected') : route.continue();

async function offline(ctx: BrowserContext) {
  await ctx.route('**', cut);
  await ctx.setOffline(true);
}

async function online(ctx: BrowserContext) {
  await ctx.unroute('**', cut);
  await ctx.setOffline(false);
}

test('no signal on the crew phone: the day stays readable, work done offline is sent once when back, and the office sees it', async ({ page, browser }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'keeping pages and changes on the phone needs JavaScript (a service worker)');
  test.setTimeout(180_000);
  const w = await world(page, `off-${info.project.name}`);
  const t = base(w.sub);
  await call(page, 'properties/update', {
    id: w.property, 'form[street]': '12 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX',
    'form[zip]': '78701', 'form[lot_sqft]': '21780', 'form[gate_notes]': 'Side gate, code 1942',
  });
  await call(page, 'properties/add_pet', { property_id: w.property, 'pet[name]': 'Rosie', 'pet[breed]': 'Border Collie' });

  // A crew member joins, and the office books the job on their crew.
  const mate = `crew@${w.sub}.example`;
  await call(page, 'team/invite', { email: mate, role: 'crew' });
  const link = psql(`select body from outbox where to_email = '${mate}' order by created_at desc limit 1`)
    .split(/\s+/).find((s) => s.startsWith('http://'))!;
  const phone = await browser.newContext({ ...info.project.use, baseURL: undefined });
  const p = await phone.newPage();
  await p.goto(link);
  await hydrated(p);
  await p.getByLabel(/^Your name/).fill('Casey Crew');
  await p.getByLabel(/^Password/).fill(PASSWORD);
  await p.getByLabel(/^Repeat password/).fill(PASSWORD);
  await p.getByRole('button', { name: 'Accept and join' }).click();
  await expect(p.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  const casey = psql(`select id from users where email = '${mate}'`);
  const form: Record<string, string> = { 'form[name]': 'Crew A', 'form[color]': '#2563eb', 'form[mpg]': '16', 'form[members][0]': casey };
  for (let i = 0; i < 5; i++) {
    form[`form[starts][${i}]`] = '07:00';
    form[`form[ends][${i}]`] = '16:00';
  }
  const crew = await call(page, 'crews/save', form);
  await call(page, 'schedule/place', { id: w.job, crew_id: crew, day: DAY, start: '09:00', minutes: '120' });

  // The crew opens the day: the stop with what waits at the gate.
  await p.goto(`${t}/today?day=${DAY}`);
  await hydrated(p);
  const stop = p.getByTestId('stop');
  await expect(stop).toContainText('Hana Homeowner');
  await expect(stop).toContainText('Gate: Side gate, code 1942');
  await expect(stop).toContainText('Pets: Rosie');
  await expect(stop.getByRole('link', { name: /Call/ })).toHaveAttribute('href', 'tel:5125550142');
  // The phone keeps the day, the job's page and its data.
  await p.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  await expect.poll(() => p.evaluate(async (job) => {
    const cache = await caches.open('fence-v1');
    const page = await cache.match(`/jobs/${job}`);
    if (!page) return 'no job page';
    const keys = new Set((await cache.keys()).map((r) => new URL(r.url).pathname));
    if (!keys.has('/api/jobs/get')) return 'no job data';
    const files = [...(await page.clone().text()).matchAll(/<link[^>]+href="(\/pkg\/[^"]+)"/g)].map((m) => m[1]);
    const missing = files.filter((f) => !keys.has(f)).length;
    if (!keys.has('/__fence_build')) return 'no build noted';
    return files.length > 0 && missing === 0 ? 'kept' : `${missing} of ${files.length} files to keep`;
  }, w.job), { timeout: 60_000 }).toBe('kept');

  // Opened again with a signal, the day's app files come from the phone
  // (they are from the build the server sends): no request per file.
  const fetched: string[] = [];
  const watch = (route: Route) => {
    const u = new URL(route.request().url());
    if (route.request().serviceWorker() && u.pathname.startsWith('/pkg/')) fetched.push(u.pathname);
    return route.continue();
  };
  await phone.route('**', watch);
  await p.reload();
  await hydrated(p);
  await expect(p.getByTestId('stop')).toContainText('Hana Homeowner');
  expect(fetched, 'app files fetched again though kept from this build').toEqual([]);
  await phone.unroute('**', watch);

  // No signal. The day still opens, from the phone.
  await offline(phone);
  await p.reload();
  await hydrated(p);
  await expect(p.getByTestId('stop')).toContainText('Hana Homeowner');
  await p.getByTestId('stop').getByRole('link', { name: 'Open' }).click();
  await expect(p.getByTestId('job-status')).toHaveText('Scheduled');
  await expect(p.getByTestId('gate-notes')).toContainText('Side gate, code 1942');
  await expect(p.getByTestId('pets')).toContainText('Rosie (Border Collie)');

  // Start, tick, two photos and complete, all offline.
  await p.getByRole('button', { name: 'Start job' }).click();
  await expect(p.getByTestId('outbox')).toContainText('1 change waiting to send');
  await expect(p.getByTestId('job-status')).toHaveText('In progress');
  await p.getByRole('button', { name: /Signal tested/ }).click();
  await expect(p.getByTestId('outbox')).toContainText('2 changes waiting to send');
  await expect(p.getByTestId('checklist-count')).toHaveText('1 of 7 done');
  for (const [kind, n] of [['before', 3], ['after', 4]] as const) {
    await p.getByLabel('Photo type').selectOption(kind);
    await p.getByLabel('Photo', { exact: true }).setInputFiles({ name: `${kind}.png`, mimeType: 'image/png', buffer: png(64) });
    await p.getByRole('button', { name: 'Upload' }).click();
    await p.waitForURL(/#photos$/);
    await hydrated(p);
    await expect(p.getByTestId('outbox')).toContainText(`${n} changes waiting to send`);
  }
  await expect(p.getByTestId('photos-waiting')).toContainText('1 before, 1 after');
  await p.getByLabel('Note (optional)').fill('Flags by the side door; Rosie walked the loop');
  await p.getByRole('button', { name: 'Complete job' }).click();
  await expect(p.getByTestId('outbox')).toContainText('5 changes waiting to send');
  await expect(p.getByTestId('job-status')).toHaveText('Completed');

  // Logging out now would lose them: the phone asks first.
  const asked = new Promise<string>((resolve) => p.once('dialog', (d) => {
    resolve(d.message());
    d.dismiss();
  }));
  await p.getByRole('button', { name: 'Log out' }).click();
  expect(await asked).toContain('5 changes made without a connection have not been sent yet');
  await expect(p.getByTestId('outbox')).toContainText('5 changes waiting to send');

  // The office has seen none of it yet.
  expect((await call(page, 'jobs/get', { id: w.job })).status).toBe('scheduled');

  // Signal again: everything goes, once, in order.
  await online(phone);
  await expect(p.getByTestId('outbox')).toHaveCount(0, { timeout: 30_000 });
  const done = await call(page, 'jobs/get', { id: w.job });
  expect(done.status).toBe('completed');
  expect(done.photos.length).toBe(2);
  expect(done.checklist_done).toEqual(['signal']);
  expect(psql(`select count(*) from job_events where job_id = '${w.job}' and to_status in ('in_progress', 'completed')`)).toBe('2');
  await expect(p.getByTestId('job-status')).toHaveText('Completed');

  // The office's page shows the crew's work.
  await page.goto(`${t}/jobs/${w.job}`);
  await expect(page.getByTestId('job-status')).toHaveText('Completed');
  await expect(page.getByAltText('after photo')).toBeVisible();
  await expect(page.getByText('Flags by the side door; Rosie walked the loop')).toBeVisible();
  // Logging out forgets what the phone kept (a shared phone).
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.waitForURL(/\/login/);
  await expect.poll(() => p.evaluate(async () => {
    const keys = (await (await caches.open('fence-v1')).keys()).map((r) => new URL(r.url).pathname);
    return keys.filter((k) => !/^\/(pkg|static)\//.test(k));
  })).toEqual([]);
  await phone.close();
});
