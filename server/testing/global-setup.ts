// Vitest globalSetup: one throwaway PostgreSQL cluster for the whole run (or TEST_DATABASE_URL).
// It never throws: when PostgreSQL is missing the reason is handed to the tests, which then FAIL with
// it (a prerequisite that is missing must not turn into a silent pass or skip).
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { type PgCluster, startPgCluster } from './pg-cluster';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgError: string;
  }
}

/**
 * False only when every positional argument is an existing path outside server/ and lib/sync (e.g.
 * `vitest run lib/comfy`), so other suites do not pay for a cluster; anything unclear starts it.
 */
function mayRunDbTests(argv: string[]): boolean {
  const filters = argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run' && !/vitest/.test(a));
  if (filters.length === 0) return true;
  return !filters.every((f) => existsSync(f) && !/server|sync/.test(f) && !/^(\.\/?|lib\/?)$/.test(f));
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide('pgUrl', external);
    project.provide('pgError', '');
    return undefined;
  }
  if (!mayRunDbTests(process.argv)) {
    project.provide('pgUrl', '');
    project.provide(
      'pgError',
      'PostgreSQL was not started: the command-line filters select no database tests',
    );
    return undefined;
  }
  let cluster: PgCluster | undefined;
  try {
    cluster = await startPgCluster();
    project.provide('pgUrl', cluster.url);
    project.provide('pgError', '');
  } catch (err) {
    project.provide('pgUrl', '');
    project.provide('pgError', err instanceof Error ? err.message : String(err));
  }
  return async () => {
    await cluster?.stop();
  };
}
