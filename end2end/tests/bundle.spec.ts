import { test, expect } from '@playwright/test';

// The split WASM bundle: a page's HTML preloads its own chunks and no other
// page's; a page reached by client-side navigation fetches its chunk and
// works; the bundle travels compressed.

const PORT = process.env.BASE_PORT ?? '3100';
const base = `http://localhost:${PORT}`;

const VERSIONED = /^\/pkg\/v\/[0-9a-f]{16}\/[\w.]+\.(wasm|js|css)$/;

test('a page preloads only its own WASM files, named under the build', async ({ page }) => {
  await page.goto(base + '/signup');
  const preloads = [...new Set(await page.locator('head link[rel="preload"][as="fetch"]').evaluateAll(
    (links) => links.map((l) => (l as HTMLLinkElement).getAttribute('href') ?? '')))];
  for (const href of preloads) expect(href).toMatch(VERSIONED);
  expect(preloads.filter((h) => h.endsWith('/fence.wasm'))).toHaveLength(1);
  // Pages are split by journey: signup is in the module of the pages before
  // signing in, and no other journey's module is fetched.
  expect(preloads.filter((h) => h.endsWith('/split_fence_front.wasm'))).toHaveLength(1);
  expect(preloads.filter((h) => /\/split_(?!fence_front\.)/.test(h))).toEqual([]);
  // A couple of dozen files (22-27 with five journeys), not the hundreds
  // one split per page made.
  expect(preloads.length).toBeLessThan(32);
  const css = await page.locator('head link[rel="stylesheet"]').getAttribute('href');
  expect(css).toMatch(VERSIONED);
});

test("a build's files are cached for good, other builds' are not found", async ({ page, request }) => {
  await page.goto(base + '/signup');
  const wasm = await page.locator('head link[rel="preload"][href$="/fence.wasm"]').getAttribute('href');
  const res = await request.get(base + wasm!);
  expect(res.status()).toBe(200);
  expect(res.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(res.headers()['content-type']).toBe('application/wasm');
  const other = wasm!.replace(/\/v\/[0-9a-f]{16}\//, '/v/0000000000000000/');
  expect((await request.get(base + other)).status()).toBe(404);
  // The page itself is never cached that way.
  const html = await request.get(base + '/signup');
  expect(html.headers()['cache-control'] ?? '').not.toContain('immutable');
});

test("a page of another journey, reached by client-side navigation, loads its module and works", async ({ page }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'client-side navigation needs JavaScript');
  const sub = `lazy${Date.now().toString(36)}`;
  const r = await page.request.post(base + '/api/signup', {
    headers: { Origin: base },
    form: {
      'form[company]': 'Lazy Co', 'form[subdomain]': sub, 'form[owner_name]': 'Olive Owner',
      'form[email]': `owner@${sub}.example`, 'form[password]': 'a fine long password', 'form[plan]': 'growth',
    },
  });
  expect(r.status()).toBe(200);
  await page.goto(await r.json());
  await page.goto(`http://${sub}.localhost:${PORT}/`);
  await page.waitForSelector('body[data-hydrated]');
  // From the dashboard on: what the move to another journey fetches.
  const fetched = new Map<string, number>();
  page.on('request', (q) => { if (q.url().endsWith('.wasm')) fetched.set(q.url(), (fetched.get(q.url()) ?? 0) + 1); });
  const module = page.waitForResponse((q) => /\/pkg\/v\/\w+\/split_fence_work\.wasm$/.test(q.url()));
  const documents: string[] = [];
  page.on('request', (q) => { if (q.resourceType() === 'document') documents.push(q.url()); });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers', exact: true }).click();
  expect((await module).status()).toBe(200);
  await expect(page).toHaveURL(/\/customers$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Customers', exact: true })).toBeVisible();
  expect(documents).toEqual([]); // no full page load: the router did it
  // The lazily loaded page is live: its search answers as you type.
  await page.getByRole('searchbox').fill('nobody');
  await expect(page).toHaveURL(/q=nobody/);
  // Each file the move needed came over the wire once.
  expect([...fetched].filter(([, n]) => n > 1)).toEqual([]);
  expect([...fetched.keys()].some((u) => u.endsWith('/split_fence_work.wasm'))).toBe(true);
});

test('the WASM, the JS and the pages travel compressed', async ({ request }) => {
  for (const path of ['/pkg/fence.wasm', '/pkg/fence.js', '/']) {
    for (const encoding of ['br', 'gzip']) {
      const res = await request.get(base + path, { headers: { 'Accept-Encoding': encoding } });
      expect(res.status(), path).toBe(200);
      expect(res.headers()['content-encoding'], `${path} with ${encoding}`).toBe(encoding);
    }
  }
});
