import { test, expect, Page, Locator } from '@playwright/test';

// The schedule board (issue 10): a job dragged onto a crew and a time with
// a mouse and with a finger, the conflict shown while dragging and refused,
// the keyboard's form, undo, and a second browser seeing the move live.

import { base, call, world } from './world';

const DAY = '2027-03-09'; // a Tuesday

function crewForm(name: string, color: string) {
  const f: Record<string, string> = { 'form[name]': name, 'form[color]': color, 'form[mpg]': '16' };
  for (let i = 0; i < 5; i++) {
    f[`form[starts][${i}]`] = '07:00';
    f[`form[ends][${i}]`] = '16:00';
  }
  return f;
}

/** Another approved job on the world's property. */
async function approvedJob(page: Page, sub: string, property: string): Promise<string> {
  const q = await call(page, 'quotes/create', { property_id: property });
  const sent = await call(page, 'quotes/send', { id: q });
  const token = String(sent.link).split('/').pop()!;
  const anon = await page.context().browser()!.newContext();
  const h = await anon.newPage();
  await h.goto(`${base(sub)}/q/${token}`);
  await call(h, 'quotes/respond', { token, approve: 'true', name: 'Hana Homeowner', reason: '' });
  await anon.close();
  return call(page, 'quotes/create_job', { quote_id: q });
}

async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated]', { timeout: 20_000 });
  await page.waitForLoadState('networkidle');
}

/** The x of `minute` (of the day) in a day-view lane. */
async function xOf(lane: Locator, minute: number) {
  const box = (await lane.boundingBox())!;
  const from = 6 * 60, to = 20 * 60;
  return { x: box.x + ((minute - from) / (to - from)) * box.width, y: box.y + box.height / 2 };
}

async function mouseDrag(page: Page, card: Locator, to: { x: number; y: number }, release = true) {
  const b = (await card.boundingBox())!;
  await page.mouse.move(b.x + 6, b.y + b.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(b.x + 6 + ((to.x - b.x - 6) * i) / 8, b.y + b.height / 2 + ((to.y - b.y - b.height / 2) * i) / 8);
  }
  if (release) await page.mouse.up();
}

async function touchDrag(page: Page, card: Locator, to: { x: number; y: number }) {
  const cdp = await page.context().newCDPSession(page);
  const b = (await card.boundingBox())!;
  const from = { x: b.x + 6, y: b.y + b.height / 2 };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [from] });
  for (let i = 1; i <= 10; i++) {
    await cdp.send('Input.dispatchTouchEvent', {
      type: 'touchMove',
      touchPoints: [{ x: from.x + ((to.x - from.x) * i) / 10, y: from.y + ((to.y - from.y) * i) / 10 }],
    });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

test('drag a job onto a crew and a time, see the conflict, undo, and a second browser sees it live', async ({ page, browser }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'the board is dragged with JavaScript; without it the job page schedules by date');
  test.setTimeout(180_000);
  const touch = info.project.name.startsWith('phone');
  // A tablet held sideways: the whole day fits, and fingers do the dragging.
  await page.setViewportSize({ width: 1280, height: 800 });
  const w = await world(page, `sched-${info.project.name}`);
  const t = base(w.sub);
  const a = await call(page, 'crews/save', crewForm('Crew A', '#2563eb'));
  const b = await call(page, 'crews/save', crewForm('Crew B', '#16a34a'));
  const other = await approvedJob(page, w.sub, w.property);
  // Crew A is busy 9 to 11.
  await call(page, 'schedule/place', { id: other, crew_id: a, day: DAY, start: '09:00', minutes: '120' });

  // A second browser (the same office, another screen) watches the board.
  const watcher = await browser.newContext({ storageState: await page.context().storageState(), viewport: { width: 1280, height: 800 } });
  const w2 = await watcher.newPage();
  await w2.goto(`${t}/schedule?view=day&from=${DAY}`);
  await hydrated(w2);

  await page.goto(`${t}/schedule?view=day&from=${DAY}`);
  await hydrated(page);
  const laneA = page.locator(`.lane[data-crew="${a}"]`);
  const laneB = page.locator(`.lane[data-crew="${b}"]`);
  const card = page.locator(`.waiting [data-job="${w.job}"] .bcard-body`);
  await expect(card).toBeVisible();

  // Onto crew A at 10:00: the hint says why not, while dragging (mouse).
  if (!touch) {
    await mouseDrag(page, card, await xOf(laneA, 10 * 60), false);
    await expect(laneA.locator('.drop-hint.bad')).toContainText('Overlaps J-');
    await page.mouse.up();
    await expect(page.getByRole('alert')).toContainText('Not moved: Overlaps J-');
  }
  // Onto crew B at 1 PM: booked.
  const target = await xOf(laneB, 12 * 60 + 5);
  if (touch) await touchDrag(page, card, target);
  else await mouseDrag(page, card, target);
  await expect(laneB.locator(`[data-job="${w.job}"]`)).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Scheduled: Crew B' })).toContainText('12:00 PM');
  // The other browser sees it without a reload.
  await expect(w2.locator(`.lane[data-crew="${b}"] [data-job="${w.job}"]`)).toBeVisible({ timeout: 5_000 });

  // Undo puts it back in the list.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator(`.waiting [data-job="${w.job}"]`)).toBeVisible();
  await expect(w2.locator(`.waiting [data-job="${w.job}"]`)).toBeVisible({ timeout: 5_000 });

  // The keyboard: focus the card, Enter opens the form; a clash is named
  // before saving; a free time saves.
  await page.locator(`.waiting [data-job="${w.job}"] .bcard-body`).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Crew').selectOption({ label: 'Crew A' });
  await dialog.getByLabel('Day').fill(DAY);
  await dialog.getByLabel('Start').fill('10:00');
  await dialog.getByLabel('Takes (minutes)').fill('60');
  await expect(dialog.getByRole('alert')).toContainText('Overlaps J-');
  await dialog.getByLabel('Start').fill('11:00');
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(laneA.locator(`[data-job="${w.job}"]`)).toBeVisible();

  // Its edge, dragged to 12:30, makes it an hour and a half.
  if (!touch) {
    const handle = laneA.locator(`[data-job="${w.job}"] .bcard-resize`);
    const hb = (await handle.boundingBox())!;
    const end = await xOf(laneA, 12 * 60 + 30);
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 6; i++) await page.mouse.move(hb.x + hb.width / 2 + ((end.x - hb.x - hb.width / 2) * i) / 6, end.y);
    await page.mouse.up();
    await expect(page.getByRole('status').filter({ hasText: 'J-' })).toContainText('to Crew A, Tue Mar 9, 11:00 AM–12:30 PM');
    await expect(laneA.locator(`[data-job="${w.job}"]`)).toContainText('11:00 AM–12:30 PM');
    // Dropped on the list, it keeps its day and waits for a time.
    const booked = laneA.locator(`[data-job="${w.job}"] .bcard-body`);
    const list = (await page.locator('.waiting h2').boundingBox())!;
    await mouseDrag(page, booked, { x: list.x + 40, y: list.y + 10 });
    await expect(page.locator(`.waiting [data-job="${w.job}"]`)).toContainText('Tue Mar 9 · no time yet');
    // And back on crew A at 11 with the form, for the history below.
    await page.locator(`.waiting [data-job="${w.job}"] .bcard-body`).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByLabel('Start').fill('11:00');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await expect(laneA.locator(`[data-job="${w.job}"]`)).toBeVisible();
  }

  // The job's history says who moved it, from where to where.
  await page.goto(`${t}/jobs/${w.job}`);
  await expect(page.locator('main')).toContainText('Scheduled: Crew A, Tue Mar 9, 11:00 AM–12:00 PM');
  await expect(page.locator('main')).toContainText('Crew B, Tue Mar 9, 12:00 PM');
  await watcher.close();
});

test('the week view, the crews page and a crew member\'s day', async ({ page }, info) => {
  test.setTimeout(120_000);
  const js = info.project.use.javaScriptEnabled !== false;
  const w = await world(page, `week-${info.project.name}`);
  const t = base(w.sub);
  // Add a crew through the page (a real form, with and without JavaScript).
  await page.goto(`${t}/crews`);
  if (js) await hydrated(page);
  if (js) {
    await page.getByRole('button', { name: 'Add a crew' }).click();
    await page.getByLabel('Name').fill('Crew A');
    await page.getByLabel('Vehicle fuel economy (mpg)').fill('0');
    await page.getByRole('button', { name: 'Save crew' }).click();
    await expect(page.locator('main')).toContainText('miles per gallon');
    await page.getByLabel('Vehicle fuel economy (mpg)').fill('16');
    await page.getByRole('button', { name: 'Save crew' }).click();
    await expect(page.locator('.crew-item')).toContainText('Crew A');
    await expect(page.locator('.crew-item')).toContainText('Mon–Fri 7:00 AM–4:00 PM');
  } else {
    await call(page, 'crews/save', crewForm('Crew A', '#2563eb'));
  }
  const crews = await call(page, 'crews/list', {});
  const crewId = crews.crews[0].id;
  await call(page, 'schedule/place', { id: w.job, crew_id: crewId, day: DAY, start: '08:00', minutes: '120' });
  // The week from Monday March 8: server-rendered, with or without JavaScript.
  await page.goto(`${t}/schedule?from=2027-03-08`);
  if (js) await hydrated(page);
  const cell = page.locator(`.cell[data-crew="${crewId}"][data-day="${DAY}"]`);
  await expect(cell).toContainText('8:00 AM · 2 h');
  await expect(page.locator('.board-week')).toContainText('Tue Mar 9');
  // Saturday is a day off on the board.
  await expect(page.locator(`.cell.off[data-crew="${crewId}"][data-day="2027-03-13"]`)).toContainText('Off');
  // The owner is on no crew: their day says so.
  await page.goto(`${t}/today?day=${DAY}`);
  await expect(page.locator('main')).toContainText('You are not on a crew yet');
});

test('optimise a crew\'s day: the miles drop, apply, and the route sheet follows', async ({ page }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'the optimise dialog needs JavaScript');
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const w = await world(page, `route-${info.project.name}`);
  const t = base(w.sub);
  const form = crewForm('Crew A', '#2563eb');
  form['form[start_at]'] = '30.267, -97.743';
  const a = await call(page, 'crews/save', form);
  // Three stops north of the depot, booked zig-zag: far, near, farther.
  const jobs: string[] = [];
  for (const [i, [dlat, start]] of ([[0.08, '08:00'], [0.02, '10:00'], [0.1, '12:00']] as const).entries()) {
    const property = await call(page, 'properties/create', {
      customer_id: w.customer, 'form[street]': `${i + 1}0 Oak St`, 'form[city]': 'Austin', 'form[state]': 'TX',
      'form[zip]': '78701', 'form[lot_sqft]': '21780', 'form[lat]': (30.267 + dlat).toFixed(3), 'form[lon]': '-97.743',
    });
    await call(page, 'properties/drawing', {
      id: property,
      drawing: JSON.stringify({ boundary: [{ x: -60, y: -40 }, { x: 60, y: -40 }, { x: 60, y: 40 }, { x: -60, y: 40 }], transmitter: { x: 0, y: 0 }, lead: [{ x: 0, y: 40 }], crossings: [], layout: 'perimeter', width_ft: 200 }),
    });
    const job = await approvedJob(page, w.sub, property);
    await call(page, 'schedule/place', { id: job, crew_id: a, day: DAY, start, minutes: '60' });
    jobs.push(job);
  }
  await page.goto(`${t}/schedule?view=day&from=${DAY}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Optimise route' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('As booked: 27.6 mi');
  await expect(dialog).toContainText('Optimised: 17.3 mi');
  await expect(dialog).toContainText('Saves 10.4 mi');
  await expect(dialog.locator('svg.route-plot .route-after')).toHaveCount(1);
  await dialog.getByRole('button', { name: /Apply: save 10\.4 mi/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Routes optimised' })).toContainText('10.4 miles');
  // Optimising again finds nothing shorter.
  await page.getByRole('button', { name: 'Optimise route' }).click();
  await expect(page.getByRole('dialog')).toContainText('already drives the shortest order');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  // The route sheet: the stops in the new order, each with a map link.
  await page.getByRole('link', { name: 'Route sheet' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Crew A');
  await expect(page.locator('.route-sheet tbody tr')).toHaveCount(3);
  await expect(page.locator('.route-sheet').getByRole('link', { name: 'Open in maps' }).first())
    .toHaveAttribute('href', /google\.com\/maps\/dir\/\?api=1&destination=30\.\d+,-97\.743/);
  await expect(page.locator('main')).toContainText('17.3 mi');
});

test('slot suggestions put a job next to the crew already nearby, and one click books it', async ({ page }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'suggestions are offered in the board\'s form, with JavaScript');
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const w = await world(page, `slots-${info.project.name}`);
  const t = base(w.sub);
  // Crew A starts 9 miles north of town; Crew B at the same place.
  const fa = crewForm('Crew A', '#2563eb');
  fa['form[start_at]'] = '30.40, -97.743';
  const a = await call(page, 'crews/save', fa);
  const fb = crewForm('Crew B', '#16a34a');
  fb['form[start_at]'] = '30.40, -97.743';
  await call(page, 'crews/save', fb);
  // A working day two or more days ahead, when Crew A is already at the
  // customer's street.
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 2);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  const day = d.toISOString().slice(0, 10);
  const label = `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]} ${d.getUTCDate()}`;
  const neighbour = await approvedJob(page, w.sub, w.property);
  await call(page, 'schedule/place', { id: neighbour, crew_id: a, day, start: '09:00', minutes: '60' });

  await page.goto(`${t}/schedule?view=day&from=${day}`);
  await hydrated(page);
  await page.locator(`.waiting [data-job="${w.job}"] .bcard-body`).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Suggest the best slots (next two weeks)' }).click();
  const first = dialog.locator('.suggestions li').first();
  await expect(first).toContainText(`Crew A · ${label}`);
  await expect(first).toContainText('adds 0.0 mi');
  // Any other day costs the drive from the crew's start and back.
  await expect(dialog.locator('.suggestions li').nth(1)).not.toContainText('adds 0.0 mi');
  await first.getByRole('button', { name: /^Book/ }).click();
  await expect(page.locator(`.lane[data-crew="${a}"] [data-job="${w.job}"]`)).toBeVisible();
  const job = await call(page, 'jobs/get', { id: w.job });
  expect(job.status).toBe('scheduled');
  expect(job.scheduled_for).toBe(day);
});

test('a collar battery coming due is offered beside the crew\'s work and booked in one click', async ({ page }, info) => {
  test.setTimeout(120_000);
  const js = info.project.use.javaScriptEnabled !== false;
  const w = await world(page, `batt-${info.project.name}`);
  const t = base(w.sub);
  const fa = crewForm('Crew A', '#2563eb');
  fa['form[start_at]'] = '30.40, -97.743';
  const a = await call(page, 'crews/save', fa);
  // A working day two or more days ahead, with Crew A at the world's
  // property; a neighbour at the same address has a dog whose battery was
  // changed 85 days ago (due in six days).
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 2);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  const day = d.toISOString().slice(0, 10);
  const label = `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]} ${d.getUTCDate()}`;
  await call(page, 'schedule/place', { id: w.job, crew_id: a, day, start: '09:00', minutes: '60' });
  const changed = new Date(Date.now() - 85 * 86_400_000).toISOString().slice(0, 10);
  const neighbour = await call(page, 'customers/create', {
    'form[name]': 'Nina Neighbour', 'form[email]': `nina@${w.sub}.example`, 'form[phone]': '(512) 555-0199',
    'form[street]': '14 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX', 'form[zip]': '78701',
  });
  const property = await call(page, 'properties/create', {
    customer_id: neighbour, 'form[street]': '14 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX',
    'form[zip]': '78701', 'form[lot_sqft]': '15000',
  });
  await call(page, 'properties/add_pet', {
    property_id: property, 'pet[name]': 'Rex', 'pet[breed]': 'Collie', 'pet[weight_lb]': '40',
    'pet[collar_model]': 'R21', 'pet[battery_installed]': changed,
  });

  await page.goto(`${t}/schedule/batteries`);
  if (js) await hydrated(page);
  const card = page.locator('.battery-stop', { hasText: 'Nina Neighbour' });
  await expect(card).toContainText('Rex (due');
  await expect(card.getByTestId('offer')).toContainText(`Crew A · ${label}`);
  await expect(card.getByTestId('offer')).toContainText('+0.0 mi');
  await card.getByRole('button', { name: 'Book' }).click();
  if (js) await expect(page.getByRole('status')).toContainText('Battery visit booked.');
  else await page.goto(`${t}/schedule/batteries`);
  await expect(page.locator('.battery-stop', { hasText: 'Nina Neighbour' })).toContainText(/J-\d+ booked/);
  // On the board, in Crew A's lane that day, marked as a battery visit.
  await page.goto(`${t}/schedule?view=day&from=${day}`);
  const lane = page.locator(`.lane[data-crew="${a}"]`);
  await expect(lane.locator('.kind-tag', { hasText: 'Battery' })).toBeVisible();
  if (info.project.name.startsWith('phone')) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t}/schedule/batteries`);
    await page.screenshot({ path: `test-results/batteries-${info.project.name}.png`, fullPage: true });
  }
});
