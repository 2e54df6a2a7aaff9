import { defineConfig } from '@playwright/test';
import chromiumSuite from '../playwright.config';

// The Firefox suite: the Chromium suite's runner settings (one worker, since every spec drives the
// extension's default server on 127.0.0.1:8188; timeouts), its own specs, setup and output. The browser is
// Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi (support/firefox.ts).
export default defineConfig({
  ...chromiumSuite,
  testDir: '.',
  testMatch: '**/*.spec.ts',
  globalSetup: './global-setup.ts',
  outputDir: '../.tmp/e2e-firefox/results',
});
