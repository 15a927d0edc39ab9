import { defineConfig, devices } from '@playwright/test';

// The app is started by scripts/test on BASE_PORT against a fresh database.
// Every flow runs four ways: JavaScript on and off, desktop and phone.
const chromium = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
         '--no-first-run', '--disable-component-update', '--disable-sync'],
};

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    launchOptions: chromium,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'desktop-js', use: { viewport: { width: 1280, height: 800 }, javaScriptEnabled: true } },
    { name: 'desktop-nojs', use: { viewport: { width: 1280, height: 800 }, javaScriptEnabled: false } },
    { name: 'phone-js', use: { ...devices['Pixel 7'], defaultBrowserType: 'chromium', javaScriptEnabled: true } },
    { name: 'phone-nojs', use: { ...devices['Pixel 7'], defaultBrowserType: 'chromium', javaScriptEnabled: false } },
  ],
});
