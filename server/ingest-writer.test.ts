import { describe, expect, it } from 'vitest';
import { IngestWriter } from './ingest-writer';
import type { GroupResult, JobWrite, JobWriteGroup } from './repo/jobs';
import { makeRecord } from './testing/records';

const job = (promptId: string): JobWrite => ({
  ...makeRecord({ promptId }),
  source: 'extension',
  queuedBy: 'k',
});

/** PostgreSQL's refusal of a value (SQLSTATE 22P05, "unsupported Unicode escape sequence"). */
const dataError = () => Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
const applied = (n: number) => ({ results: Array.from({ length: n }, () => ({ status: 'applied' })) });

/** A fake statement: records each call's groups and waits until the test lets it finish. */
function fakeDb(opts: { failOn?: string; revoked?: number[]; error?: () => Error } = {}) {
  const calls: { groups: JobWriteGroup[]; finish(): void }[] = [];
  const write = (groups: JobWriteGroup[]) =>
    new Promise<GroupResult>((resolve, reject) => {
      calls.push({
        groups,
        finish: () => {
          if (groups.some((g) => g.writes.some((w) => w.promptId === opts.failOn))) {
            reject((opts.error ?? dataError)());
            return;
          }
          const live = groups.map((g) => !opts.revoked?.includes(g.keyId ?? -1));
          resolve({
            outcomes: groups.map((g) => g.writes.map(() => ({ status: 'applied' as const }))),
            keyLive: live,
          });
        },
      });
    });
  return { calls, write };
}
const tick = () => new Promise((r) => setTimeout(r, 0));
const ids = (groups: JobWriteGroup[]) => groups.map((g) => g.writes.map((w) => w.promptId).join('+'));

describe('IngestWriter (group commit)', () => {
  it('sends the first request at once and coalesces those that arrive meanwhile into one statement', async () => {
    const db = fakeDb();
    const w = new IngestWriter({ write: db.write, maxInFlight: 1 });
    const first = w.write(1, [job('a')]);
    await tick();
    expect(db.calls.map((c) => ids(c.groups))).toEqual([['a']]);
    const rest = [w.write(1, [job('b')]), w.write(2, [job('c'), job('d')]), w.write(1, [job('e')])];
    await tick();
    expect(db.calls).toHaveLength(1); // they wait for the flush in flight
    db.calls[0]!.finish();
    expect(await first).toEqual(applied(1));
    await tick();
    expect(ids(db.calls[1]!.groups)).toEqual(['b', 'c+d', 'e']);
    db.calls[1]!.finish();
    expect(await Promise.all(rest)).toEqual([applied(1), applied(2), applied(1)]);
  });

  it('answers no request before the statement carrying it has finished', async () => {
    const db = fakeDb();
    const w = new IngestWriter({ write: db.write });
    let answered = false;
    const p = w.write(1, [job('a')]).then(() => {
      answered = true;
    });
    await tick();
    await tick();
    expect(answered).toBe(false);
    db.calls[0]!.finish();
    await p;
    expect(answered).toBe(true);
  });

  it('runs two flushes at once, but never two that share a job (no deadlock, no lost ordering)', async () => {
    const db = fakeDb();
    const w = new IngestWriter({ write: db.write, maxInFlight: 2 });
    const a = w.write(1, [job('x')]);
    await tick();
    const b = w.write(1, [job('x')]); // same job: must wait for the first flush
    const c = w.write(1, [job('y')]);
    await tick();
    expect(db.calls.map((call) => ids(call.groups))).toEqual([['x'], ['y']]);
    db.calls[0]!.finish();
    await a;
    await tick();
    expect(ids(db.calls[2]!.groups)).toEqual(['x']);
    db.calls[1]!.finish();
    db.calls[2]!.finish();
    await Promise.all([b, c]);
  });

  it('caps a statement at maxRecords and sends the rest in the next one', async () => {
    const db = fakeDb();
    const w = new IngestWriter({ write: db.write, maxInFlight: 1, maxRecords: 3 });
    const first = w.write(1, [job('a')]);
    await tick();
    const rest = ['b', 'c', 'd', 'e', 'f'].map((id) => w.write(1, [job(id)]));
    db.calls[0]!.finish();
    await first;
    await tick();
    expect(ids(db.calls[1]!.groups)).toEqual(['b', 'c', 'd']);
    db.calls[1]!.finish();
    await tick();
    expect(ids(db.calls[2]!.groups)).toEqual(['e', 'f']);
    db.calls[2]!.finish();
    await Promise.all(rest);
  });

  it('refuses only the record whose data the database refuses, not the requests or records sharing its statement', async () => {
    const db = fakeDb({ failOn: 'bad' });
    const w = new IngestWriter({ write: db.write, maxInFlight: 1 });
    const first = w.write(1, [job('a')]);
    await tick();
    const good = w.write(1, [job('b')]);
    const mixed = w.write(1, [job('c'), job('bad'), job('d')]);
    const good2 = w.write(2, [job('e')]);
    db.calls[0]!.finish();
    await first;
    await tick();
    db.calls[1]!.finish(); // the shared statement fails; each request is retried alone, halving on failure
    for (let i = 2; i < 12 && i < db.calls.length + 1; i++) {
      await tick();
      db.calls[i]?.finish();
    }
    expect(await good).toEqual(applied(1));
    expect(await mixed).toEqual({
      results: [
        { status: 'applied' },
        { status: 'rejected', code: 'unstorable', message: expect.stringContaining('22P05') },
        { status: 'applied' },
      ],
    });
    expect(await good2).toEqual(applied(1));
    expect(db.calls.slice(2).map((c) => ids(c.groups))).toEqual([
      ['b'],
      ['c+bad+d'],
      ['c+bad'],
      ['c'],
      ['bad'],
      ['d'],
      ['e'],
    ]);
  });

  it('fails every request of a statement the database could not run at all (no retry storm)', async () => {
    const db = fakeDb({ failOn: 'a', error: () => new Error('Connection terminated unexpectedly') });
    const w = new IngestWriter({ write: db.write, maxInFlight: 1 });
    const first = w.write(1, [job('x')]);
    await tick();
    const a = w.write(1, [job('a')]).catch((e: Error) => e.message);
    const b = w.write(2, [job('b')]).catch((e: Error) => e.message);
    db.calls[0]!.finish();
    await first;
    await tick();
    db.calls[1]!.finish();
    expect(await Promise.all([a, b])).toEqual([
      'Connection terminated unexpectedly',
      'Connection terminated unexpectedly',
    ]);
    expect(db.calls).toHaveLength(2);
  });

  it('never puts one job written by two keys into one statement', async () => {
    const db = fakeDb();
    const w = new IngestWriter({ write: db.write, maxInFlight: 1 });
    const first = w.write(1, [job('x')]);
    await tick();
    const rest = [w.write(1, [job('shared')]), w.write(2, [job('shared'), job('y')]), w.write(1, [job('z')])];
    db.calls[0]!.finish();
    await first;
    await tick();
    expect(ids(db.calls[1]!.groups)).toEqual(['shared', 'z']);
    db.calls[1]!.finish();
    await tick();
    expect(ids(db.calls[2]!.groups)).toEqual(['shared+y']);
    db.calls[2]!.finish();
    await Promise.all(rest);
  });

  it('reports a request whose key the statement found revoked, without affecting the others', async () => {
    const db = fakeDb({ revoked: [7] });
    const w = new IngestWriter({ write: db.write });
    const first = w.write(1, [job('first')]);
    await tick();
    const a = w.write(7, [job('a')]);
    const b = w.write(1, [job('b')]);
    db.calls[0]!.finish();
    await first;
    await tick();
    expect(ids(db.calls[1]!.groups)).toEqual(['a', 'b']); // one statement, two keys
    db.calls[1]!.finish();
    expect(await a).toEqual({ revoked: true });
    expect(await b).toEqual(applied(1));
  });
});
