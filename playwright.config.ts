import { defineConfig } from '@playwright/test';

// One worker: every spec drives the extension's default server, a simulator on 127.0.0.1:8188.
// The reporter is chosen by the caller (scripts/test-all.sh passes list + json).
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: '.tmp/e2e/results',
  // The fixtures launch their own persistent contexts and screenshot every extension page on failure.
  use: { trace: 'off', screenshot: 'off' },
});
