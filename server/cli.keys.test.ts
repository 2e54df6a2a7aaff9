// `npm run server -- keys …` end to end: the printed token works until the key is revoked by name or id.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from './testing/databases';

const run = promisify(execFile);

describe('keys CLI', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const cli = async (...args: string[]) => {
    const res = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
      env: { ...process.env, DATABASE_URL: tdb.url! },
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    return { code: 'code' in res ? res.code : 0, stdout: res.stdout, stderr: res.stderr };
  };

  beforeAll(async () => {
    tdb = await openTestDatabase('postgres');
    srv = await startTestServer(tdb.db);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  it('creates a key, prints its token once, lists it, and revokes it by name and by id', async () => {
    const created = await cli('keys', 'create', 'ci-bot', '--scopes', 'ingest,read');
    expect(created.code).toBe(0);
    const token = created.stdout.split('\n').find((l) => l.startsWith('cpk_'))!;
    expect(token).toMatch(/^cpk_[A-Za-z0-9_-]{43}$/);
    const list = (t: string) => srv.request('/v1/jobs', { token: t });
    expect((await list(token)).status).toBe(200);

    const listed = await cli('keys', 'list');
    expect(listed.stdout).toMatch(/ci-bot\tingest,read\t.*\tlive/);
    expect(listed.stdout).not.toContain(token);

    expect((await cli('keys', 'revoke', 'ci-bot')).code).toBe(0);
    // The running server learns of a revocation through a database notice (the README's promise), so
    // the first request may race it under load; it must turn 401 within a few seconds.
    await expect.poll(async () => (await list(token)).status, { timeout: 5_000 }).toBe(401);
    expect((await cli('keys', 'revoke', 'ci-bot')).code).toBe(1);

    const second = await cli('keys', 'create', 'ci-bot');
    const id = /created key #(\d+)/.exec(second.stdout)![1]!;
    const token2 = second.stdout.split('\n').find((l) => l.startsWith('cpk_'))!;
    expect(
      (await srv.request('/v1/ingest', { method: 'POST', token: token2, body: '{"records":[]}' })).status,
    ).toBe(403);
    expect((await cli('keys', 'revoke', id)).code).toBe(0);
    await expect.poll(async () => (await list(token2)).status, { timeout: 5_000 }).toBe(401);
  }, 120_000);

  it('refuses an unknown scope', async () => {
    const res = await cli('keys', 'create', 'x', '--scopes', 'admin');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('read, ingest, prompts');
  }, 60_000);
});
