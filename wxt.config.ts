import { defineConfig } from 'wxt';
import { manifestFor } from './lib/ext/manifest';

/**
 * `COMFYPULSE_STORE=1` (set by `npm run zip`) builds the package for a store: no development key, and a
 * folder of its own (`.output/chrome-mv3-store`), so the keyed build that e2e and the demo load is never
 * replaced by a keyless one. A WXT `--mode` would not do: WXT sets NODE_ENV to the mode, and React would
 * then ship its development build.
 */
const STORE = process.env.COMFYPULSE_STORE === '1';

export default defineConfig({
  modules: ['@wxt-dev/module-react', '@wxt-dev/i18n/module'],
  srcDir: '.',
  ...(STORE ? { outDirTemplate: '{{browser}}-mv{{manifestVersion}}-store' } : {}),
  zip: { artifactTemplate: '{{name}}-{{version}}-{{browser}}.zip' },
  manifest: ({ browser }) => manifestFor({ browser, store: STORE }),
});
