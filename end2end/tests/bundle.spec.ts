import { test, expect } from '@playwright/test';

// The split WASM bundle: a page's HTML preloads its own chunks and no other
// page's; a page reached by client-side navigation fetches its chunk and
// works; the bundle travels compressed.

const PORT = process.env.BASE_PORT ?? '3100';
const base = `http://localhost:${PORT}`;

test('a page preloads only its own WASM chunks', async ({ page }) => {
  await page.goto(base + '/signup');
  // Leptos's own hints sometimes name the same files again (its lookup
  // depends on the thread the render resumes on); the browser fetches a file
  // once either way, so what counts is the set.
  const preloads = [...new Set(await page.locator('head link[rel="preload"][as="fetch"]').evaluateAll(
    (links) => links.map((l) => (l as HTMLLinkElement).getAttribute('href') ?? '')))];
  expect(preloads).toContain('/pkg/fence.wasm');
  expect(preloads.filter((h) => h.includes('split___signup_page_route_view_'))).toHaveLength(1);
  expect(preloads.filter((h) => /\/pkg\/chunk_\d+\.wasm$/.test(h)).length).toBeGreaterThan(0);
  expect(preloads.filter((h) => /split___(?!signup_page_route)/.test(h))).toEqual([]);
  for (const href of preloads) expect(href).toMatch(/^\/pkg\/[\w.]+\.wasm$/);
});

test('a page reached by client-side navigation loads its chunk and works', async ({ page }, info) => {
  test.skip(info.project.use.javaScriptEnabled === false, 'client-side navigation needs JavaScript');
  const fetched = new Map<string, number>();
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) fetched.set(r.url(), (fetched.get(r.url()) ?? 0) + 1); });
  await page.goto(base + '/');
  await page.waitForSelector('body[data-hydrated]');
  const chunk = page.waitForResponse((r) => /\/pkg\/split___signup_page_route_view_\w+\.wasm$/.test(r.url()));
  const documents: string[] = [];
  page.on('request', (r) => { if (r.resourceType() === 'document') documents.push(r.url()); });
  await page.getByRole('link', { name: 'Try Growth free' }).click();
  expect((await chunk).status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Start your 14-day free trial' })).toBeVisible();
  expect(documents).toEqual([]); // no full page load: the router did it
  // The lazily loaded page is live: the address check runs as you type.
  const sub = `lazy${Date.now().toString(36)}`;
  await page.getByLabel(/^Workspace address/).fill(sub);
  await expect(page.getByText(`${sub}.localhost is available.`)).toBeVisible();
  // Preloaded or loaded on demand, each file came over the wire once.
  expect([...fetched].filter(([, n]) => n > 1)).toEqual([]);
  expect(fetched.size).toBeGreaterThan(2);
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
