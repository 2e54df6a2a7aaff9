import { defineConfig } from 'vitest/config';
import { WxtVitest } from 'wxt/testing/vitest-plugin';

export default defineConfig({
  plugins: [WxtVitest()],
  test: {
    include: [
      'lib/**/*.test.ts',
      'lib/**/*.test.tsx',
      'components/**/*.test.tsx',
      'sim/**/*.test.ts',
      'server/**/*.test.ts',
      'entrypoints/**/*.test.ts',
      // Pack, install and use the npm packages in fresh projects (slow: tens of seconds each).
      'tests/**/*.test.ts',
      'scripts/**/*.test.ts',
      'e2e/support/**/*.test.ts',
    ],
    // Playwright's specs (e2e/*.spec.ts) run under Playwright; only e2e/support's own unit tests run here.
    exclude: ['e2e/**/*.spec.ts', 'node_modules/**', '.output/**'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Starts the throwaway PostgreSQL the server/ and lib/sync integration tests run against.
    globalSetup: ['server/testing/global-setup.ts'],
  },
});
