/**
 * `discover`: jobs of other clients are found (reconciliation, status broadcasts, the history lookback
 * after each connect) and followed by polling that backs off while nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { clientRig, frame, GRAPH, OUR_ID } from './testing/client-rig';
import { historyEntry } from './testing/fake-comfy-http';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `cccccccc-0000-4000-8000-${String(i).padStart(12, '0')}`);

describe('ComfyClient discovery of other clients’ jobs', () => {
  it('is off by default: a status announcing unknown jobs reconciles nothing, nothing polls', async () => {
    const r = clientRig();
    await r.open();
    const queueReads = r.count('/api/queue');
    r.model.running = [{ id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' }];
    await r.receive(frame.status(1));
    await r.advance(60_000);
    expect(r.client.getJob(A)).toBeUndefined();
    expect(r.count('/api/queue')).toBe(queueReads);
    expect(r.count('/api/history')).toBe(0);
    r.client.close();
  });

  it('a status announcing more jobs than tracked reconciles at once and finds them', async () => {
    const r = clientRig({ discover: { lookback: 0 } });
    await r.open();
    r.model.running = [{ id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' }];
    r.model.pending = [{ id: B, number: 2, prompt: GRAPH, clientId: 'script' }];
    await r.receive(frame.status(2));
    expect(r.client.getJob(A)).toMatchObject({ status: 'running', own: false, clientId: 'comfyui-tab' });
    expect(r.client.getJob(B)).toMatchObject({ status: 'pending', own: false, clientId: 'script' });
    r.client.close();
  });

  it('polls while another client’s job runs: 2 s, ×1.5 while nothing changes, capped at 10 s; none once it ended', async () => {
    const r = clientRig({ discover: { lookback: 0 } });
    r.model.running = [{ id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' }];
    await r.open();
    expect(r.client.getJob(A)?.status).toBe('running');
    const reads: number[] = [];
    let last = r.count('/api/queue');
    for (let t = 0; t < 40_000; t += 250) {
      await r.advance(250);
      const n = r.count('/api/queue');
      if (n !== last) reads.push(r.clock.now());
      last = n;
    }
    const gaps = reads.slice(1).map((t, i) => t - reads[i]!);
    expect(reads[0]! - (r.clock.now() - 40_000)).toBe(2000);
    expect(gaps.slice(1).every((g, i) => g === Math.min(10_000, gaps[i]! * 1.5))).toBe(true);
    expect(gaps.at(-1)).toBe(10_000);
    // it ends (the broadcast says the queue is empty): found in history at once, and polling stops
    r.model.running = [];
    r.model.history[A] = historyEntry(
      { id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' },
      'success',
      5,
    );
    await r.receive(frame.status(0));
    expect(r.client.getJob(A)?.status).toBe('success');
    const after = r.count('/api/queue');
    await r.advance(120_000);
    expect(r.count('/api/queue')).toBe(after);
    r.client.close();
  });

  it('an empty queue while a job is active reconciles at once (its end may not have reached us)', async () => {
    const r = clientRig({ discover: { lookback: 0 } });
    r.model.running = [{ id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' }];
    await r.open();
    r.model.running = [];
    r.model.history[A] = historyEntry({ id: A, number: 1, clientId: 'comfyui-tab' }, 'error', 5);
    await r.receive(frame.status(0));
    expect(r.client.getJob(A)).toMatchObject({ status: 'error', error: { message: 'boom' } });
    r.client.close();
  });

  it('looks back in history after each connect: missed jobs get their outcome, `missed` first, news by age', async () => {
    const r = clientRig({ discover: { newsWindowMs: 60_000 } });
    const now = r.clock.now();
    const old = { id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' };
    const recent = { id: B, number: 2, prompt: GRAPH, clientId: OUR_ID };
    r.model.history[A] = historyEntry(old, 'interrupted', now - 3_600_000, now - 3_700_000);
    r.model.history[B] = historyEntry(recent, 'success', now - 5_000);
    await r.open();
    const order = r.seen
      .filter(([e]) => e === 'missed' || e === 'job')
      .map(([e, v]) => `${e}:${(v as { promptId: string }).promptId}`);
    expect(order.indexOf(`missed:${B}`)).toBeLessThan(order.indexOf(`job:${B}`));
    const missed = r.seen.filter(([e]) => e === 'missed').map(([, v]) => v);
    expect(missed).toEqual([
      { promptId: A, clientId: 'comfyui-tab', createdAt: now - 3_700_000, news: false },
      { promptId: B, clientId: OUR_ID, createdAt: now - 6_000, news: true },
    ]);
    expect(r.client.getJob(A)).toMatchObject({ status: 'interrupted', own: false });
    expect(r.client.getJob(B)).toMatchObject({ status: 'success', own: true });
    expect(r.seen.filter(([e]) => e === 'end')).toHaveLength(2);
    r.client.close();
  });

  it('the lookback honours the caller’s limits and skips jobs the caller already has', async () => {
    const all = ids(8);
    const now = 1_700_000_000_000;
    const r = clientRig({
      discover: {
        limits: () => ({ maxItems: 6, maxAgeMs: 60_000 }),
        known: async (asked) => asked.map((id) => id === all[7]),
      },
    });
    all.forEach((id, i) => {
      // the two oldest of the last six were created more than a minute ago
      r.model.history[id] = historyEntry(
        { id, number: i },
        'success',
        now - 1000,
        now - (i < 4 ? 120_000 : 10_000),
      );
    });
    await r.open();
    const missed = r.seen
      .filter(([e]) => e === 'missed')
      .map(([, v]) => (v as { promptId: string }).promptId);
    expect(missed).toEqual(all.slice(4, 7));
    expect(r.calls.find((c) => c.path.startsWith('/api/history?'))?.path).toBe('/api/history?max_items=6');
    r.client.close();
  });

  it('after a reconnect, a pending job that vanished without history is lost (a restart), else cancelled', async () => {
    const r = clientRig({ discover: { lookback: 0 } });
    r.model.pending = [{ id: A, number: 1, prompt: GRAPH, clientId: 'script' }];
    await r.open();
    r.model.pending = [{ id: B, number: 2, prompt: GRAPH, clientId: 'script' }];
    await r.receive(frame.status(1)); // A deleted by its owner; B queued
    await r.client.reconcileNow();
    expect(r.client.getJob(A)?.status).toBe('cancelled');
    r.ws.last().drop(); // the server restarts and forgets its queue
    r.model.pending = [];
    await r.advance(250);
    await r.open(0);
    expect(r.client.getJob(B)?.status).toBe('lost');
    r.client.close();
  });
});
