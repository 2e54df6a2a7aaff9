// Stopping the server (PGlite) while it serves reads, the two ways it happens: Ctrl-C on `npm run server`
// in a terminal (SIGINT to the whole process group), and a process manager's SIGTERM to the node process it
// started (npm is no wrapper for that: its `sh -c` dies of SIGTERM without passing it on). The
// server must stop accepting, answer every request it had begun, end the SSE stream normally, close
// PGlite, remove its lock file and exit; the data folder then opens cleanly. PGlite runs queries on the
// server's own thread, so under read load its event loop is busy for long stretches: a wrapper that
// expects a signal to be acknowledged within milliseconds (tsx's CLI) kills it mid-shutdown.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './testing/process';
import { makeRecord } from './testing/records';

const run = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;

interface Outcome {
  kind: 'answered' | 'refused' | 'broken';
  detail: string;
}

/** One GET on a keep-alive agent: answered (a complete 200 JSON body), refused before any answer, or broken. */
function read(url: string, token: string, agent: http.Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          const ok = res.statusCode === 200 && Array.isArray(JSON.parse(body).jobs);
          resolve({ kind: ok ? 'answered' : 'broken', detail: `${res.statusCode} ${body.slice(0, 100)}` });
        } catch {
          resolve({ kind: 'broken', detail: `incomplete body (${body.length} bytes)` });
        }
      });
      res.on('error', (e) => resolve({ kind: 'broken', detail: `after headers: ${e.message}` }));
    });
    // No answer at all: the server had stopped accepting (or closed an idle keep-alive connection).
    req.on('error', (e) => resolve({ kind: 'refused', detail: e.message }));
  });
}

describe.each([
  { how: 'Ctrl-C on npm run server', cmd: ['npm', 'run', 'server'], signal: 'SIGINT' as const, group: true },
  {
    how: 'SIGTERM to node alone, as a process manager sends it',
    cmd: [process.execPath, '--import', 'tsx', 'server/cli.ts'],
    signal: 'SIGTERM' as const,
    group: false,
  },
])('stopping the server (PGlite) while it serves reads: $how', ({ cmd, signal, group }) => {
  const dir = mkdtempSync(join(tmpdir(), 'cp-shutdown-'));
  const env = { ...process.env, PGLITE_DIR: join(dir, 'pglite'), PORT: '0', HOST: '127.0.0.1' };
  let server: ServerProcess | undefined;
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops accepting, finishes what it began, closes PGlite, removes its lock and exits 0', async () => {
    const created = await run(
      'npm',
      ['run', '--silent', 'server', '--', 'keys', 'create', 'ops', '--scopes', 'read,ingest'],
      {
        cwd: repo,
        env,
      },
    );
    const token = created.stdout.split('\n').find((l) => l.startsWith('cpk_'))!;

    // Its own process group, so the signal reaches npm, the shell and node together, as Ctrl-C does.
    server = await startServerProcess(cmd[0]!, cmd.slice(1), { cwd: repo, env, detached: true });
    const { url } = server;
    // npm ends by the signal it was sent (the shell's convention) once the server has exited.
    const exited = server.exited.then(({ code, signal: by }) =>
      by === signal || code === 0 ? 'exited' : `exit ${code} ${by}`,
    );

    for (let batch = 0; batch < 2; batch++) {
      const seeded = await fetch(`${url}/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ records: Array.from({ length: 500 }, () => makeRecord()) }),
      });
      expect((await seeded.json()).applied).toBe(500);
    }

    // An SSE client: its stream must end normally, not be cut.
    const stream = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${token}` } });
    const streamEnd = (async () => {
      const reader = stream.body!.getReader();
      try {
        while (!(await reader.read()).done) {}
        return 'ended';
      } catch (e) {
        return `cut: ${(e as Error).message}`;
      }
    })();

    // 16 clients reading pages of 300 jobs back to back on keep-alive connections.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const outcomes: Outcome[] = [];
    let signalled = false;
    let afterSignal = 0;
    const client = async () => {
      while (afterSignal < 200) {
        const o = await read(`${url}/v1/jobs?limit=300`, token, agent);
        outcomes.push(o);
        if (signalled) afterSignal++;
        if (o.kind === 'refused' && signalled) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const clients = Array.from({ length: 16 }, client);
    // Under way: every client has had answers, and requests are in flight on every connection.
    const answered = () => outcomes.filter((o) => o.kind === 'answered').length;
    while (answered() < 32) await new Promise((r) => setTimeout(r, 20));
    const before = answered();
    signalled = true;
    process.kill(group ? -server.child.pid! : server.child.pid!, signal);
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000)),
    ]);
    await Promise.all(clients);
    agent.destroy();

    const out = server.output();
    expect(code, out).toBe('exited');
    // Printed by the server right before process.exit(0), after the database closed: what it counted.
    expect(out).toContain(`${signal}: shutting down`);
    const [, finished, cut] =
      /\nstopped \((\d+) requests finished during shutdown, (\d+) cut/.exec(out) ?? [];
    expect(Number(cut), out).toBe(0);
    expect(Number(finished), out).toBeGreaterThan(0);
    expect(before).toBeGreaterThanOrEqual(32);
    expect(outcomes.filter((o) => o.kind === 'broken')).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'refused').length).toBeGreaterThan(0);
    expect(await streamEnd).toBe('ended');
    expect(existsSync(join(dir, 'pglite', 'comfypulse.lock'))).toBe(false);

    // The folder opens again, with everything that was written.
    const listed = await run('npm', ['run', '--silent', 'server', '--', 'keys', 'list'], { cwd: repo, env });
    expect(listed.stdout).toMatch(/ops\tread,ingest\t.*\tlive/);
    const { openDatabase } = await import('./db/database');
    const db = await openDatabase({ pgliteDir: join(dir, 'pglite') });
    try {
      expect((await db.pool.query('SELECT count(*)::int AS n FROM jobs')).rows[0].n).toBe(1000);
    } finally {
      await db.close();
    }
  }, 120_000);
});
