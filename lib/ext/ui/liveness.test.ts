import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import type { EngineStatus } from '../protocol';
import type { ChannelLike, LiveConnection } from './live';
import { createEngineLiveness, trustedConnections } from './liveness';

const conn = (serverId: string, since: number): LiveConnection => ({ serverId, state: 'connected', since });

describe('trustedConnections', () => {
  const all = new Map([
    ['old', conn('old', 100)],
    ['edge', conn('edge', 200)],
    ['new', conn('new', 300)],
  ]);
  it.each([
    { startedAt: null, shown: [] },
    { startedAt: 50, shown: ['old', 'edge', 'new'] },
    { startedAt: 200, shown: ['edge', 'new'] },
    { startedAt: 301, shown: [] },
  ])('with the engine started at $startedAt shows $shown', ({ startedAt, shown }) => {
    expect([...trustedConnections(all, { startedAt }).keys()]).toEqual(shown);
  });
});

function world(answers: (() => Promise<EngineStatus>)[]) {
  const clock = new FakeClock(1_000);
  const channel: ChannelLike & { closed: boolean } = {
    onmessage: null,
    closed: false,
    close() {
      this.closed = true;
    },
  };
  let asked = 0;
  const liveness = createEngineLiveness({
    ensureEngine: () => {
      const answer = answers[Math.min(asked, answers.length - 1)]!;
      asked++;
      return answer();
    },
    channel,
    clock,
    staleAfterMs: 25_000,
    retryMs: 1_000,
  });
  const changes: (number | null)[] = [];
  liveness.subscribe(() => changes.push(liveness.getSnapshot().startedAt));
  const beat = (startedAt: number) =>
    channel.onmessage?.({ data: { kind: 'engine', startedAt, at: clock.now() } });
  return { clock, channel, liveness, changes, beat, asked: () => asked };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('engine liveness of an open page', () => {
  it('trusts nothing until the engine vouches, asking the worker once as the page opens', async () => {
    let answer!: (s: EngineStatus) => void;
    const w = world([() => new Promise((r) => (answer = r))]);
    expect(w.asked()).toBe(1);
    expect(w.liveness.getSnapshot().startedAt).toBeNull();
    answer({ wasRunning: false, startedAt: 5_000 });
    await flush();
    expect(w.liveness.getSnapshot().startedAt).toBe(5_000);
    expect(w.changes).toEqual([5_000]);
  });

  it('stays confirmed while heartbeats come, withdraws trust and asks again when they stop', async () => {
    const w = world([
      async () => ({ wasRunning: true, startedAt: 500 }),
      async () => ({ wasRunning: false, startedAt: 40_000 }),
    ]);
    await flush();
    for (let i = 0; i < 5; i++) {
      w.clock.advance(10_000);
      w.beat(500);
    }
    expect(w.asked()).toBe(1);
    expect(w.changes).toEqual([500]);
    w.clock.advance(25_000);
    expect(w.liveness.getSnapshot().startedAt).toBeNull();
    expect(w.asked()).toBe(2);
    await flush();
    expect(w.changes).toEqual([500, null, 40_000]);
  });

  it('a heartbeat from a new engine moves the trust line to its start', async () => {
    const w = world([async () => ({ wasRunning: true, startedAt: 500 })]);
    await flush();
    w.beat(9_000);
    w.beat(9_000);
    expect(w.changes).toEqual([500, 9_000]);
    w.channel.onmessage?.({ data: { kind: 'engine', startedAt: 'soon' } });
    w.channel.onmessage?.({ data: { kind: 'connection', serverId: 'x', state: 'connected', since: 1 } });
    expect(w.liveness.getSnapshot().startedAt).toBe(9_000);
  });

  it('retries when the worker cannot answer, and stops everything when closed', async () => {
    const w = world([
      async () => Promise.reject(new Error('no receiver')),
      async () => ({ wasRunning: false, startedAt: 7 }),
    ]);
    await flush();
    expect(w.liveness.getSnapshot().startedAt).toBeNull();
    w.clock.advance(1_000);
    await flush();
    expect(w.asked()).toBe(2);
    expect(w.liveness.getSnapshot().startedAt).toBe(7);
    w.liveness.close();
    expect(w.channel.closed).toBe(true);
    expect(w.clock.pending).toBe(0);
  });
});
