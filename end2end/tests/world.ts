import { expect, Page } from '@playwright/test';
import { deflateSync } from 'node:zlib';

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


/** A real PNG image (a green square), built here so no fixture file is needed. */
export function png(size: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, 0x5a)]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}
