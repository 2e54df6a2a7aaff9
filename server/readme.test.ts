// The README's curl examples, run as written against a fresh server on a free port: the blocks are read
// from the README itself, and the variables are set the way it tells a user to (its `export` block with
// the placeholder token and the URL replaced by this server's).
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from './testing/databases';

const run = promisify(execFile);
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const SECTION = '### Send a record, list jobs, follow the stream (curl)';

/** The ```sh blocks of the README section, in order. */
function shellBlocks(): string[] {
  const start = README.indexOf(SECTION);
  const end = README.indexOf('\n### ', start + SECTION.length);
  const section = README.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The comment lines under a command: what the README says it prints. */
const shownOutput = (block: string) =>
  block
    .split('\n')
    .filter((l) => l.startsWith('# '))
    .map((l) => l.slice(2));

describe('README: the curl examples', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let exports: string;
  const blocks = shellBlocks();
  const [exportBlock, ingestBlock, listBlock, streamBlock] = blocks;

  beforeAll(async () => {
    tdb = await openTestDatabase('pglite');
    srv = await startTestServer(tdb.db);
    const token = await srv.token(['ingest', 'read'], 'try-it');
    expect(exportBlock).toContain('export COMFYPULSE_URL=http://127.0.0.1:8787\n');
    expect(exportBlock).toContain('export COMFYPULSE_KEY=cpk_…\n');
    exports = exportBlock!.replace('http://127.0.0.1:8787', srv.url).replace('cpk_…', token);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  it('has the export block and three curl blocks: ingest, list, stream', () => {
    expect(blocks).toHaveLength(4);
    expect(ingestBlock).toContain('/v1/ingest');
    expect(listBlock).toContain('/v1/jobs');
    expect(streamBlock).toContain('/v1/stream');
  });

  it('ingests the record, lists it, and the stream shows it', async () => {
    // The stream first (in its own process group, ended by the test), so it sees the ingest happen.
    const stream = spawn('bash', ['-c', `${exports}\n${streamBlock}`], { detached: true });
    let streamed = '';
    stream.stdout.on('data', (c: Buffer) => {
      streamed += c.toString();
    });
    stream.stderr.on('data', (c: Buffer) => {
      streamed += c.toString();
    });
    try {
      await expect.poll(() => streamed, { timeout: 10_000 }).toContain('event: ready');

      const ingested = await run('bash', ['-c', `${exports}\n${ingestBlock}`]);
      expect(JSON.parse(ingested.stdout)).toEqual(JSON.parse(shownOutput(ingestBlock!)[0]!));
      const promptId = /"promptId":"([^"]+)"/.exec(ingestBlock!)![1]!;

      const listed = JSON.parse((await run('bash', ['-c', `${exports}\n${listBlock}`])).stdout);
      expect(listed.jobs.map((j: { promptId: string }) => j.promptId)).toEqual([promptId]);
      expect(listed.jobs[0]).toMatchObject({ server: 'local', status: 'success' });
      expect(listed.nextCursor).toBeNull();
      expect(shownOutput(listBlock!)[0]).toMatch(
        /^\{"jobs":\[\{"promptId":"5f0e6a4e-…","server":"local","status":"success"/,
      );

      await expect
        .poll(() => streamed, { timeout: 10_000 })
        .toMatch(new RegExp(`event: job\\ndata: \\{"promptId":"${promptId}".*\\}\\nid: \\d+\\n`));

      // Sent again, it changes nothing (as the README says).
      const again = await run('bash', ['-c', `${exports}\n${ingestBlock}`]);
      expect(JSON.parse(again.stdout).results).toEqual([{ status: 'unchanged' }]);
    } finally {
      process.kill(-stream.pid!, 'SIGTERM');
    }
  });
});
