import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../comfy/testing/fake-clock';
import type { JobState } from '../comfy/types';
import { createSync, type Sync } from './index';
import type { SyncOutbox } from './outbox';
import { fakeIngest, memoryOutbox, OURS, ourError, record } from './testing';
import { SyncUploader } from './uploader';

const TARGET = { url: 'https://pulse.example.com/', apiKey: 'cpk_secret-token-value' };

function setup(opts: { batchSize?: number } = {}) {
  const clock = new FakeClock();
  const outbox = memoryOutbox();
  const ingest = fakeIngest();
  const uploader = new SyncUploader({
    outbox,
    getTarget: () => TARGET,
    // Indirect, so a test can wrap ingest.fetch after setup.
    fetch: (url, init) => ingest.fetch(url, init),
    clock,
    random: seededRandom(7),
    baseDelayMs: 2000,
    maxDelayMs: 300_000,
    ...opts,
  });
  /** Runs scheduled attempts until nothing is scheduled or `untilMs` of fake time has passed. */
  const run = async (untilMs = Number.POSITIVE_INFINITY) => {
    const delays: number[] = [];
    const end = clock.now() + untilMs;
    for (;;) {
      await uploader.settled();
      if (clock.pending === 0 || clock.pendingDelays()[0]! + clock.now() > end) break;
      delays.push(clock.runNext()!);
    }
    await uploader.settled();
    return delays;
  };
  return { clock, outbox, ingest, uploader, run };
}

describe('SyncUploader', () => {
  let outbox: SyncOutbox | undefined;
  afterEach(() => outbox?.close());

  it('uploads in batches with the bearer key and records the last sync', async () => {
    const s = setup({ batchSize: 2 });
    outbox = s.outbox;
    for (const id of ['a', 'b', 'c']) await s.outbox.enqueueJobChange(record(id, 1));
    let auth = '';
    const inner = s.ingest.fetch;
    s.ingest.fetch = async (url, init) => {
      auth = new Headers(init?.headers).get('authorization') ?? '';
      expect(String(url)).toBe('https://pulse.example.com/v1/ingest');
      return inner(url, init);
    };
    s.uploader.kick();
    await s.run();
    expect(s.ingest.requests).toBe(2);
    expect(auth).toBe(`Bearer ${TARGET.apiKey}`);
    expect(await s.outbox.getSyncStatus()).toEqual({
      pending: 0,
      lastSyncAt: s.clock.now(),
      problem: null,
      deadLetters: 0,
    });
  });

  it('backs off exponentially with jitter, capped, and never gives up', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.respond = () => ourError(503, 'unavailable', 'database is restarting');
    await s.outbox.enqueueJobChange(record('a', 1));
    s.uploader.kick();
    const delays = await s.run(2 * 3600_000);
    // Equal jitter: each wait lies in [exp/2, exp] of 2 s, 4 s, 8 s, ... capped at 5 min.
    delays.slice(1).forEach((d, i) => {
      const exp = Math.min(300_000, 2000 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(exp / 2);
      expect(d).toBeLessThanOrEqual(exp);
    });
    expect(delays.length).toBeGreaterThan(20);
    expect(s.clock.pending).toBe(1);
    const status = await s.outbox.getSyncStatus();
    expect(status.pending).toBe(1);
    expect(status.problem).toEqual({
      kind: 'server_error',
      status: 503,
      code: 'unavailable',
      message: 'database is restarting',
    });
  });

  it('does not hammer a failing endpoint when changes keep arriving', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.respond = () => ourError(502, 'upstream', 'down');
    await s.outbox.enqueueJobChange(record('a', 1));
    s.uploader.kick();
    await s.run(1);
    const before = s.ingest.requests;
    for (let i = 2; i < 50; i++) {
      await s.outbox.enqueueJobChange(record('a', i));
      s.uploader.kick();
    }
    await s.uploader.settled();
    expect(s.ingest.requests).toBe(before);
  });

  it('delivers every job exactly once after an hour-long outage, with the newest version', async () => {
    const s = setup({ batchSize: 25 });
    outbox = s.outbox;
    const outageEnd = s.clock.now() + 3600_000;
    const inner = s.ingest.fetch;
    s.ingest.fetch = async (url, init) => {
      if (s.clock.now() < outageEnd) throw new TypeError('fetch failed');
      return inner(url, init);
    };
    // 60 jobs change every ten minutes during the outage.
    for (let round = 0; round < 6; round++) {
      for (let j = 0; j < 60; j++) {
        const done = round === 5;
        await s.outbox.enqueueJobChange(
          record(`job-${j}`, s.clock.now(), {
            status: done ? 'success' : 'running',
            progress: done ? 1 : round / 5,
          }),
        );
        s.uploader.kick();
      }
      await s.run(600_000);
    }
    await s.run(2 * 3600_000);
    expect(s.clock.now()).toBeGreaterThan(outageEnd);
    expect(s.ingest.received).toHaveLength(60);
    expect(new Set(s.ingest.received.map((r) => r.promptId)).size).toBe(60);
    expect([...s.ingest.stored.values()].every((r) => r.status === 'success' && r.progress === 1)).toBe(true);
    const status = await s.outbox.getSyncStatus();
    expect(status).toMatchObject({ pending: 0, problem: null });
    expect(status.lastSyncAt).toBeGreaterThanOrEqual(outageEnd);
    // Recovery comes within one capped backoff of the endpoint returning.
    expect(status.lastSyncAt! - outageEnd).toBeLessThanOrEqual(300_000);
  });

  it('keeps retrying when something unexpected throws (config reader, storage)', async () => {
    const clock = new FakeClock();
    const outbox = memoryOutbox();
    const ingest = fakeIngest();
    let broken = true;
    const uploader = new SyncUploader({
      outbox,
      getTarget: () => {
        if (broken) throw new Error('settings unreadable');
        return TARGET;
      },
      fetch: ingest.fetch,
      clock,
      random: () => 0.5,
    });
    await outbox.enqueueJobChange(record('a', 1));
    uploader.kick();
    clock.runNext();
    await uploader.settled();
    expect((await outbox.getSyncStatus()).problem).toEqual({
      kind: 'internal',
      message: 'settings unreadable',
    });
    broken = false;
    clock.runNext();
    await uploader.settled();
    expect(ingest.stored.has('a')).toBe(true);
    outbox.close();
  });

  it('honours Retry-After on 429', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.respond = (_b, n) =>
      n === 1
        ? Response.json(
            { error: { code: 'rate_limited', message: 'Too many ingest requests; retry in 42s' } },
            { status: 429, headers: { ...OURS, 'retry-after': '42' } },
          )
        : undefined;
    await s.outbox.enqueueJobChange(record('a', 1));
    s.uploader.kick();
    const delays = await s.run();
    expect(delays).toEqual([0, 42_000]);
    expect(s.ingest.stored.size).toBe(1);
  });

  it('reports a refused key without ever including the key', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.respond = () => ourError(401, 'unauthorized', 'Unknown or revoked API key');
    await s.outbox.enqueueJobChange(record('a', 1));
    s.uploader.kick();
    await s.run(10_000);
    const { problem, pending } = await s.outbox.getSyncStatus();
    expect(problem).toEqual({ kind: 'key_refused', status: 401, message: 'Unknown or revoked API key' });
    expect(JSON.stringify(problem)).not.toContain(TARGET.apiKey);
    expect(pending).toBe(1);
  });
});

describe('createSync', () => {
  let sync: Sync | undefined;
  afterEach(() => {
    sync?.stop();
    sync?.outbox.close();
  });

  const job = (promptId: string, updatedAt: number): JobState => ({
    promptId,
    status: 'running',
    own: true,
    clientId: 'ext',
    updatedAt,
    currentNode: '3',
    progress: 0.5,
    nodes: { '3': { nodeId: '3', state: 'running', cached: false, startedAt: updatedAt, value: 2, max: 8 } },
    classTypes: { '3': 'KSampler' },
    outputs: {},
    previewCount: 2,
    preview: { mime: 'image/jpeg', seq: 2, receivedAt: updatedAt },
  });

  it('uploads a backlog left by an earlier worker as soon as it is created', async () => {
    const ingest = fakeIngest();
    const clock = new FakeClock();
    const outbox = memoryOutbox();
    await outbox.enqueueJobChange(record('left-over', 1));
    sync = createSync({
      getConfig: () => ({ enabled: true, ...TARGET }),
      fetch: ingest.fetch,
      clock,
      random: () => 0.5,
      outbox,
    });
    clock.runNext();
    await sync.uploader.settled();
    expect([...ingest.stored.keys()]).toEqual(['left-over']);
  });

  it('reports a job state the contract refuses instead of throwing at the caller', async () => {
    sync = createSync({
      getConfig: () => ({ enabled: true, ...TARGET }),
      fetch: fakeIngest().fetch,
      clock: new FakeClock(),
      random: () => 0.5,
      outbox: memoryOutbox(),
    });
    await expect(sync.enqueueJobChange('local', { ...job('', 1) })).resolves.toBeUndefined();
    const status = await sync.getSyncStatus();
    expect(status).toMatchObject({
      pending: 0,
      deadLetters: 1,
      problem: { kind: 'not_queued', promptId: '' },
    });
    const [dead] = await sync.deadLetters();
    expect(dead).toMatchObject({ by: 'local', code: 'invalid', record: { promptId: '', server: 'local' } });
    expect(dead!.message).toMatch(/promptId/);
  });

  it('is off by default: nothing is queued or sent', async () => {
    const ingest = fakeIngest();
    sync = createSync({
      getConfig: () => null,
      fetch: ingest.fetch,
      clock: new FakeClock(),
      random: () => 0.5,
      outbox: memoryOutbox(),
    });
    await sync.enqueueJobChange('local', job('a', 1));
    expect(await sync.getSyncStatus()).toMatchObject({ enabled: false, pending: 0 });
    expect(ingest.requests).toBe(0);
  });

  it('when enabled, maps the tracker state to a record (class types, user) and uploads it', async () => {
    const ingest = fakeIngest();
    const clock = new FakeClock();
    sync = createSync({
      getConfig: () => ({ enabled: true, ...TARGET, user: 'ana' }),
      fetch: ingest.fetch,
      clock,
      random: () => 0.5,
      outbox: memoryOutbox(),
    });
    await sync.enqueueJobChange('local', job('a', 1));
    clock.runNext();
    await sync.uploader.settled();
    expect(ingest.stored.get('a')).toMatchObject({
      server: 'local',
      user: 'ana',
      nodes: [{ nodeId: '3', classType: 'KSampler', state: 'running', cached: false, startedAt: 1 }],
    });
    expect(await sync.getSyncStatus()).toMatchObject({ enabled: true, pending: 0, lastSyncAt: clock.now() });
  });
});
