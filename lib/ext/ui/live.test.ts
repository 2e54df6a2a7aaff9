import { describe, expect, it } from 'vitest';
import { makeJob } from '../testing/records';
import { type ChannelLike, createLiveStore, pageScheduler } from './live';

function harness(opts: { maxPreviews?: number } = {}) {
  const queued: (() => void)[] = [];
  const revoked: string[] = [];
  let urlSeq = 0;
  const channel: ChannelLike & { closed: boolean } = {
    onmessage: null,
    closed: false,
    close() {
      this.closed = true;
    },
  };
  const store = createLiveStore({
    channel,
    createObjectURL: () => `blob:test/${urlSeq++}`,
    revokeObjectURL: (u) => revoked.push(u),
    schedule: (fn) => queued.push(fn),
    ...opts,
  });
  const frame = () => {
    for (const fn of queued.splice(0)) fn();
  };
  const post = (data: unknown) => channel.onmessage?.({ data });
  return { store, channel, frame, post, revoked, queued };
}

const preview = (jobKey: string, seq: number) => ({
  kind: 'preview',
  jobKey,
  mime: 'image/jpeg',
  bytes: new Uint8Array([1, 2, 3]).buffer,
  seq,
  sentAt: 1,
});

describe('live store', () => {
  it('publishes a burst of ticks once per frame, with the newest record', () => {
    const { store, frame, post, queued } = harness();
    let renders = 0;
    store.subscribe(() => renders++);
    for (let i = 1; i <= 10; i++)
      post({ kind: 'job', job: makeJob('s', 'p', 'running', 0, { updatedAt: i, progress: i / 10 }) });
    expect(queued).toHaveLength(1);
    expect(store.getSnapshot().jobs.size).toBe(0);
    frame();
    expect(renders).toBe(1);
    expect(store.getSnapshot().jobs.get('s:p')?.progress).toBe(1);
  });

  it('keeps the identity of the slices a frame did not touch', () => {
    const { store, frame, post } = harness();
    post({ kind: 'connection', serverId: 'a', state: 'connected', since: 1 });
    frame();
    const before = store.getSnapshot();
    post({ kind: 'job', job: makeJob('s', 'p', 'running', 0, { updatedAt: 1 }) });
    frame();
    const after = store.getSnapshot();
    expect(after.connections).toBe(before.connections);
    expect(after.previews).toBe(before.previews);
    expect(after.jobs).not.toBe(before.jobs);
    expect(before.jobs.size).toBe(0);
  });

  it('ignores a job record older than the one it holds', () => {
    const { store, frame, post } = harness();
    post({ kind: 'job', job: makeJob('s', 'p', 'success', 0, { updatedAt: 10 }) });
    frame();
    post({ kind: 'job', job: makeJob('s', 'p', 'running', 0, { updatedAt: 5 }) });
    frame();
    expect(store.getSnapshot().jobs.get('s:p')?.status).toBe('success');
  });

  it('replaces a preview with a newer frame, revokes the old URL after publishing, ignores stale frames', () => {
    const { store, frame, post, revoked } = harness();
    post(preview('s:p', 1));
    frame();
    const first = store.getSnapshot().previews.get('s:p')!.url;
    post(preview('s:p', 2));
    expect(revoked).toEqual([]);
    frame();
    expect(revoked).toEqual([first]);
    const second = store.getSnapshot().previews.get('s:p')!.url;
    expect(second).not.toBe(first);
    post(preview('s:p', 1));
    frame();
    expect(store.getSnapshot().previews.get('s:p')!.url).toBe(second);
  });

  it('keeps at most maxPreviews object URLs, revoking the evicted ones', () => {
    const { store, frame, post, revoked } = harness({ maxPreviews: 2 });
    for (const k of ['a', 'b', 'c']) post(preview(k, 1));
    frame();
    expect([...store.getSnapshot().previews.keys()]).toEqual(['b', 'c']);
    expect(revoked).toEqual(['blob:test/0']);
  });

  it('tracks connection states per server, last message wins', () => {
    const { store, frame, post } = harness();
    post({ kind: 'connection', serverId: 'a', state: 'connecting', since: 1 });
    post({ kind: 'connection', serverId: 'a', state: 'connected', since: 2 });
    post({ kind: 'connection', serverId: 'b', state: 'rejected', detail: 'origin', since: 2 });
    frame();
    const c = store.getSnapshot().connections;
    expect(c.get('a')?.state).toBe('connected');
    expect(c.get('b')).toEqual({ serverId: 'b', state: 'rejected', detail: 'origin', since: 2 });
  });

  it.each([
    ['null', null],
    ['a string', 'job'],
    ['an unknown kind', { kind: 'other' }],
    ['a job without key', { kind: 'job', job: { updatedAt: 1 } }],
    ['a preview without bytes', { kind: 'preview', jobKey: 'a', seq: 1 }],
  ])('drops a malformed message: %s', (_name, data) => {
    const { store, frame, post, queued } = harness();
    post(data);
    frame();
    expect(queued).toHaveLength(0);
    expect(store.getSnapshot().jobs.size + store.getSnapshot().previews.size).toBe(0);
  });

  it('closes the channel and revokes every URL it still holds', () => {
    const { store, channel, frame, post, revoked } = harness();
    post(preview('a', 1));
    frame();
    post(preview('b', 1));
    store.close();
    expect(channel.closed).toBe(true);
    expect(revoked.sort()).toEqual(['blob:test/0', 'blob:test/1']);
  });
});

describe('page scheduler', () => {
  it('flushes a hidden page at the end of the task, without waiting for a frame', async () => {
    let ran = 0;
    pageScheduler({ visibilityState: 'hidden' })(() => ran++);
    expect(ran).toBe(0);
    await Promise.resolve();
    expect(ran).toBe(1);
  });
});
