// Bundles the dashboard's browser code (client.ts and anything it imports) into one ES module with
// esbuild. Used at build time (`npm run build:server`) and, when the server runs from source, on the
// dashboard script's first request. esbuild is a development dependency, so it is imported only when
// this runs: the built server never calls it and starts without it.
export async function buildDashboardScript(): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [new URL('./client.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}
