import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import { fakeRasterEnv, solidFrame } from '../media/testing';
import { encodeTimelapse } from './encode';
import { type WorkerAnswer, WorkerEncoder, type WorkerLike, type WorkerRequest } from './worker-encoder';

/** A Worker double that runs the real encode in this thread, or crashes or hangs on request. */
class FakeWorker implements WorkerLike {
  static spawned: FakeWorker[] = [];
  onmessage: ((ev: { data: WorkerAnswer }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  terminated = false;
  constructor(private readonly mode: 'ok' | 'crash' | 'hang') {
    FakeWorker.spawned.push(this);
  }
  postMessage({ id, request }: WorkerRequest): void {
    if (this.mode === 'hang') return;
    if (this.mode === 'crash') {
      queueMicrotask(() => this.onerror?.({ message: 'out of memory' }));
      return;
    }
    void encodeTimelapse(request, fakeRasterEnv()).then((result) =>
      this.onmessage?.({ data: { id, ok: true, result } }),
    );
  }
  terminate(): void {
    this.terminated = true;
  }
}

const request = { frames: [solidFrame(1, 2, 3), solidFrame(4, 5, 6)], maxSide: 64 };

describe('WorkerEncoder', () => {
  it('answers with the Worker’s result and ends the idle Worker later', async () => {
    FakeWorker.spawned = [];
    const clock = new FakeClock();
    const enc = new WorkerEncoder(() => new FakeWorker('ok'), clock, 60_000, 30_000);
    const [a, b] = await Promise.all([enc.encode(request), enc.encode(request)]);
    expect(a).toMatchObject({ frames: 2, width: 64, height: 48, mime: 'image/gif' });
    expect(b?.frames).toBe(2);
    expect(FakeWorker.spawned).toHaveLength(1);
    clock.advance(30_000);
    expect(FakeWorker.spawned[0]!.terminated).toBe(true);
    await enc.encode(request);
    expect(FakeWorker.spawned).toHaveLength(2);
  });

  it.each([
    ['crashes', 'crash' as const, /out of memory/, 0],
    ['hangs', 'hang' as const, /longer than 60000 ms/, 60_000],
  ])(
    'rejects when the Worker %s, and starts a fresh one for the next request',
    async (_n, mode, message, wait) => {
      FakeWorker.spawned = [];
      const clock = new FakeClock();
      let first = true;
      const enc = new WorkerEncoder(
        () => {
          const w = new FakeWorker(first ? mode : 'ok');
          first = false;
          return w;
        },
        clock,
        60_000,
      );
      const failing = enc.encode(request);
      clock.advance(wait);
      await expect(failing).rejects.toThrow(message);
      expect(FakeWorker.spawned[0]!.terminated).toBe(true);
      await expect(enc.encode(request)).resolves.toMatchObject({ frames: 2 });
      expect(FakeWorker.spawned).toHaveLength(2);
    },
  );
});
