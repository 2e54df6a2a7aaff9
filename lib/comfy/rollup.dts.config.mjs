/**
 * Bundles the declarations tsc emitted into dist/.types into one file per entry point (plus shared
 * chunks), so every relative specifier in the published .d.ts files carries its `.js` extension and a
 * consumer's `moduleResolution: "NodeNext"` resolves them. The sources keep extensionless imports, which
 * the extension's Vite build and Vitest read directly.
 */
import { rmSync } from 'node:fs';
import { dts } from 'rollup-plugin-dts';

const TYPES = 'dist/.types';

export default {
  input: {
    index: `${TYPES}/index.d.ts`,
    react: `${TYPES}/react.d.ts`,
    'testing/index': `${TYPES}/testing/index.d.ts`,
  },
  output: {
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].d.ts',
    // rollup names a chunk after its first module (`client.d`); the published name drops the `.d`.
    chunkFileNames: (chunk) => `chunks/${chunk.name.replace(/\.d$/, '')}-[hash].d.ts`,
  },
  external: ['zod', 'react'],
  plugins: [
    dts(),
    { name: 'drop-intermediate-types', closeBundle: () => rmSync(TYPES, { recursive: true }) },
  ],
};
