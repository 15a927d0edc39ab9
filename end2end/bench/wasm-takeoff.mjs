// Times take-off + pricing of a 200-point boundary inside the browser's
// WASM build (the function the quote editor runs as you drag a point).
// Usage: node bench/wasm-takeoff.mjs http://localhost:3191/
import { chromium } from '@playwright/test';

const url = process.argv[2] ?? 'http://localhost:3191/';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage();
await page.goto(url);
await page.waitForSelector('body[data-hydrated]');
const result = await page.evaluate(async () => {
  const m = await import('/pkg/fence.js');
  await m.bench_takeoff(200); // loads the chunk, warms up
  const rounds = [];
  for (let i = 0; i < 15; i++) rounds.push(await m.bench_takeoff(200));
  rounds.sort((a, b) => a - b);
  return { median: rounds[7], best: rounds[0], worst: rounds[14] };
});
console.log(`take-off + pricing, 200-point boundary, browser WASM (15 rounds of 200 runs): ` +
  `median ${(result.median * 1000).toFixed(1)} µs/run, best ${(result.best * 1000).toFixed(1)}, worst ${(result.worst * 1000).toFixed(1)}`);
await browser.close();
