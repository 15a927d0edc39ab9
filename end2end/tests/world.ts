import { expect, Page } from '@playwright/test';

// A tenant with data to walk: shared by the browser tests.

const PORT = process.env.BASE_PORT ?? '3100';
export const base = (sub?: string) => `http://${sub ? sub + '.' : ''}localhost:${PORT}`;
export const PASSWORD = 'a fine long password';
const SQUARE = JSON.stringify({
  boundary: [{ x: -60, y: -40 }, { x: 60, y: -40 }, { x: 60, y: 40 }, { x: -60, y: 40 }],
  transmitter: { x: 0, y: 0 }, lead: [{ x: 0, y: 40 }], crossings: [], layout: 'perimeter', width_ft: 200,
});

/**
 * Calls a server function as a form post from inside `page` (which must be
 * on the tenant's host: Node cannot resolve `*.localhost`, Chromium can);
 * returns its JSON answer.
 */
export async function call(page: Page, endpoint: string, form: Record<string, string>) {
  const r = await page.evaluate(async ([endpoint, form]) => {
    const res = await fetch(`/api/${endpoint}`, {
      method: 'POST', body: new URLSearchParams(form as Record<string, string>),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    return { status: res.status, text: await res.text() };
  }, [endpoint, form] as const);
  expect(r.status, `${endpoint}: ${r.text}`).toBe(200);
  return JSON.parse(r.text);
}

export interface World { sub: string; customer: string; property: string; quote: string; job: string; token: string }

/** A Growth tenant with a customer, a property, an approved quote and its job. */
export async function world(page: Page, name: string): Promise<World> {
  const sub = `p-${name}-${Date.now().toString(36)}`.slice(0, 30).replace(/-+$/, '');
  const r = await page.request.post(base() + '/api/signup', {
    headers: { Origin: base() },
    form: {
      'form[company]': `Pages Co ${name}`, 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
      'form[email]': `owner@${sub}.example`, 'form[password]': PASSWORD, 'form[plan]': 'growth',
    },
  });
  expect(r.status()).toBe(200);
  await page.goto(await r.json());
  await page.waitForLoadState('load');
  const customer = await call(page, 'customers/create', {
    'form[name]': 'Hana Homeowner', 'form[email]': `hana@${sub}.example`, 'form[phone]': '(512) 555-0142',
    'form[street]': '12 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX', 'form[zip]': '78701',
  });
  const property = await call(page, 'properties/create', {
    customer_id: customer, 'form[street]': '12 Oak St', 'form[city]': 'Austin', 'form[state]': 'TX',
    'form[zip]': '78701', 'form[lot_sqft]': '21780',
  });
  await call(page, 'properties/drawing', { id: property, drawing: SQUARE });
  const quote = await call(page, 'quotes/create', { property_id: property });
  const sent = await call(page, 'quotes/send', { id: quote });
  const token = String(sent.link).split('/').pop()!;
  // A second quote, approved by the homeowner, becomes a job.
  const q2 = await call(page, 'quotes/create', { property_id: property });
  const sent2 = await call(page, 'quotes/send', { id: q2 });
  const t2 = String(sent2.link).split('/').pop()!;
  const anon = await page.context().browser()!.newContext();
  const h = await anon.newPage();
  await h.goto(`${base(sub)}/q/${t2}`);
  await call(h, 'quotes/respond', { token: t2, approve: 'true', name: 'Hana Homeowner', reason: '' });
  await anon.close();
  const job = await call(page, 'quotes/create_job', { quote_id: q2 });
  return { sub, customer, property, quote, job, token };
}

