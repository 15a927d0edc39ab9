// Time to usable, per page, as a mid-range phone on 4G sees it (BENCHMARKS.md):
// Debian's chromium with its network throttled (Chrome DevTools' "Fast 4G"
// preset: 150 ms latency, 9 Mbit/s down, 1.5 Mbit/s up) and its CPU slowed 4x,
// against a running server. "Usable" is the moment the page is hydrated
// (`body[data-hydrated]`: its WASM is loaded and every button works); the
// first visit starts with an empty cache, the second is the same page opened
// again in the same browser (cache warm). Each figure is the median of RUNS.
//
// Usage: BASE_PORT=3000 node bench/page-load.mjs
// (the server must run with PUBLIC_URL=http://localhost:$BASE_PORT), or through
// an HTTP/2 TLS proxy: BASE_SCHEME=https BASE_PORT=3443 (BENCHMARKS.md).
import { chromium } from 'playwright-core';

const PORT = process.env.BASE_PORT ?? '3000';
const RUNS = Number(process.env.RUNS ?? 5);
// BASE_SCHEME=https measures through a TLS proxy speaking HTTP/2 (as in
// production); its certificate is not checked.
const SCHEME = process.env.BASE_SCHEME ?? 'http';
const base = (sub) => `${SCHEME}://${sub ? sub + '.' : ''}localhost:${PORT}`;
const launch = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
    ...(SCHEME === 'https' ? ['--ignore-certificate-errors'] : [])],
};
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function throttle(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 150, downloadThroughput: (9 * 1024 * 1024) / 8, uploadThroughput: (1.5 * 1024 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
}

async function call(page, endpoint, form) {
  const r = await page.evaluate(async ([endpoint, form]) => {
    const res = await fetch(`/api/${endpoint}`, {
      method: 'POST', body: new URLSearchParams(form),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    return { status: res.status, text: await res.text() };
  }, [endpoint, form]);
  if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

/** A tenant with a customer, a property, a quote and a job; returns its storage state and paths. */
async function setUp(browser) {
  const sub = `speed-${Date.now().toString(36)}`;
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(base() + '/');
  const handoff = await page.evaluate(async ([sub]) => {
    const res = await fetch('/api/signup', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        'form[company]': 'Speed Fence Co', 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
        'form[email]': `owner@${sub}.example`, 'form[password]': 'a fine long password', 'form[plan]': 'growth',
      }),
    });
    return res.json();
  }, [sub]);
  await page.goto(handoff);
  const customer = await call(page, 'customers/create', {
    'form[name]': 'Hana Homeowner', 'form[street]': '12 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX', 'form[zip]': '78701',
  });
  const property = await call(page, 'properties/create', {
    customer_id: customer, 'form[street]': '12 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX', 'form[zip]': '78701',
  });
  const drawing = JSON.stringify({ boundary: [{ x: -60, y: -40 }, { x: 60, y: -40 }, { x: 60, y: 40 }, { x: -60, y: 40 }],
    transmitter: { x: 0, y: 0 }, lead: [{ x: 0, y: 40 }], crossings: [], layout: 'perimeter', width_ft: 200 });
  await call(page, 'properties/drawing', { id: property, drawing });
  const quote = await call(page, 'quotes/create', { property_id: property });
  const sent = await call(page, 'quotes/send', { id: quote });
  const token = String(sent.link).split('/').pop();
  // A second quote, approved by the homeowner, becomes a job booked today
  // on a crew the owner is on: the crew's day and the job page have data.
  const q2 = await call(page, 'quotes/create', { property_id: property });
  const t2 = String((await call(page, 'quotes/send', { id: q2 })).link).split('/').pop();
  const anon = await browser.newContext();
  const h = await anon.newPage();
  await h.goto(base(sub) + `/q/${t2}`);
  await call(h, 'quotes/respond', { token: t2, approve: 'true', name: 'Hana Homeowner', reason: '' });
  await anon.close();
  const job = await call(page, 'quotes/create_job', { quote_id: q2 });
  const owner = (await call(page, 'crews/list', {})).people[0].user_id;
  const crewForm = { 'form[name]': 'Crew A', 'form[color]': '#2563eb', 'form[mpg]': '16', 'form[members][0]': owner };
  for (let i = 0; i < 7; i++) {
    crewForm[`form[starts][${i}]`] = '06:00';
    crewForm[`form[ends][${i}]`] = '20:00';
  }
  const crew = await call(page, 'crews/save', crewForm);
  const today = (await call(page, 'schedule/my_day', {})).day;
  await call(page, 'schedule/place', { id: job, crew_id: crew, day: today, start: '09:00', minutes: '60' });
  const state = await ctx.storageState();
  await ctx.close();
  return {
    state,
    pages: [
      ['landing (platform)', base() + '/', false],
      ['signup (platform)', base() + '/signup', false],
      ['login', base(sub) + '/login', false],
      ['quote link (homeowner)', base(sub) + `/q/${token}`, false],
      ['dashboard', base(sub) + '/', true],
      ['customers', base(sub) + '/customers', true],
      ['customer', base(sub) + `/customers/${customer}`, true],
      ['property + designer', base(sub) + `/properties/${property}`, true],
      ['quote editor', base(sub) + `/quotes/${quote}`, true],
      ['quotes', base(sub) + '/quotes', true],
      ['jobs', base(sub) + '/jobs', true],
      ['crew day (/today)', base(sub) + '/today', true],
      ['job (crew at the door)', base(sub) + `/jobs/${job}`, true],
      ['settings', base(sub) + '/settings', true],
      ['onboarding', base(sub) + '/onboarding', true],
    ],
  };
}

/** Milliseconds to usable, or null when the page did not become usable in 30 s. */
async function usable(page, url) {
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  const ok = await page.waitForSelector('body[data-hydrated]', { timeout: 30_000 }).then(() => true, () => false);
  return ok ? Date.now() - t0 : null;
}

const median = (xs) => {
  const ok = xs.filter((x) => x !== null).sort((a, b) => a - b);
  const missed = xs.length - ok.length;
  const m = ok.length ? String(ok[Math.floor(ok.length / 2)]) : '—';
  return missed ? `${m} (${missed} of ${xs.length} never usable)` : m;
};

const browser = await chromium.launch(launch);
const { state, pages } = await setUp(browser);
console.log(`| page | first visit (ms) | second visit (ms) | WASM files (first) |`);
console.log(`|---|---|---|---|`);
// ONLY=regex measures the pages whose name matches (all by default).
const only = new RegExp(process.env.ONLY ?? '.');
for (const [name, url, signedIn] of pages.filter(([name]) => only.test(name))) {
  const first = [], second = [];
  let files = 0;
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ ...PHONE, ...(signedIn ? { storageState: state } : {}) });
    const page = await ctx.newPage();
    let n = 0;
    page.on('request', (r) => { if (r.url().endsWith('.wasm')) n++; });
    await throttle(page);
    first.push(await usable(page, url));
    files = n;
    second.push(await usable(page, url));
    await ctx.close();
  }
  console.log(`| ${name} | ${median(first)} | ${median(second)} | ${files} |`);
}
await browser.close();
