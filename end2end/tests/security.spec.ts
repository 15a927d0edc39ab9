import { test, expect } from '@playwright/test';

// The Content-Security-Policy holds without breaking the app: pages on the
// platform and on a tenant's host render styled and hydrate, and the browser
// reports no policy violation; a page whose URL carries a token sends no
// referrer and its form still posts (the browser's Fetch Metadata stands in
// for the Origin it then withholds).

const PORT = process.env.BASE_PORT ?? '3100';
const base = (sub?: string) => `http://${sub ? sub + '.' : ''}localhost:${PORT}`;

test('pages hydrate under the policy with no violation reported', async ({ page }, info) => {
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  page.on('requestfailed', (r) => { if (r.failure()?.errorText === 'csp') violations.push(`blocked ${r.url()}`); });
  const js = info.project.use.javaScriptEnabled !== false;
  // A tenant of our own, signed in through the hand-off.
  const sub = `csp-${info.project.name}-${Date.now().toString(36)}`.slice(0, 32).replace(/-+$/, '');
  const signup = await page.request.post(base() + '/api/signup', {
    headers: { origin: base() },
    form: {
      'form[company]': 'CSP Fence Co', 'form[subdomain]': sub, 'form[owner_name]': 'Cy Policy',
      'form[email]': `owner@${sub}.example`, 'form[password]': 'a fine long password', 'form[plan]': 'growth',
    },
  });
  expect(signup.status()).toBe(200);
  await page.goto(await signup.json());
  const pages = ['/', '/signup', '/find', '/admin/login'].map((p) => base() + p)
    .concat(['/onboarding', '/', '/customers', '/quotes', '/jobs', '/settings', '/settings/plan'].map((p) => base(sub) + p));
  for (const url of pages) {
    const r = await page.goto(url);
    expect(r?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    if (js) await page.waitForSelector('body[data-hydrated]');
    // The stylesheet applied (an unstyled page has a 0px-padded body).
    const styled = await page.evaluate(() => [...document.styleSheets].some((s) => /\/pkg\/(v\/[0-9a-f]+\/)?fence\.css$/.test(s.href ?? '')));
    expect(styled, url).toBe(true);
  }
  // Scripts are blocked by the browser itself when JavaScript is off; that
  // is not the policy's doing, so only count violations with JavaScript on.
  if (js) expect(violations).toEqual([]);
});
