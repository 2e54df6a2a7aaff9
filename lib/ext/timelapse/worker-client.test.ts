import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import { fakeRasterEnv, solidFrame } from '../media/testing';
import { type EncodedTimelapse, type EncodeRequest, encodeTimelapse } from './encode';
import {
  type WorkerAnswer,
  WorkerClient,
  type WorkerHold,
  type WorkerLike,
  type WorkerRequest,
} from './worker-client';

type Answer = EncodedTimelapse | null;

/** A Worker double that runs the real (GIF) encode in this thread, or crashes or hangs on request. */
class FakeWorker implements WorkerLike<EncodeRequest, Answer> {
  static spawned: FakeWorker[] = [];
  onmessage: ((ev: { data: WorkerAnswer<Answer> }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  terminated = false;
  transfers: Transferable[][] = [];
  holds: number[] = [];
  constructor(private readonly mode: 'ok' | 'crash' | 'hang' | 'refuse') {
    FakeWorker.spawned.push(this);
  }
  postMessage(message: WorkerRequest<EncodeRequest> | WorkerHold, transfer: Transferable[] = []): void {
    if ('holdMs' in message) {
      this.holds.push(message.holdMs);
      return;
    }
    const { id, request } = message;
    this.transfers.push(transfer);
    if (this.mode === 'hang') return;
    if (this.mode === 'crash') {
      queueMicrotask(() => this.onerror?.({ message: 'out of memory' }));
      return;
    }
    if (this.mode === 'refuse') {
      queueMicrotask(() => this.onmessage?.({ data: { id, ok: false, error: 'no frames' } }));
      return;
    }
    void encodeTimelapse({ ...request, format: 'gif' }, { raster: fakeRasterEnv() }).then((result) =>
      this.onmessage?.({ data: { id, ok: true, result } }),
    );
  }
  terminate(): void {
    this.terminated = true;
  }
}

const request = { frames: [solidFrame(1, 2, 3), solidFrame(4, 5, 6)], maxSide: 64 };

describe('WorkerClient', () => {
  it('answers with the Worker’s result, moves the buffers it is told to, and ends the idle Worker later', async () => {
    FakeWorker.spawned = [];
    const clock = new FakeClock();
    const client = new WorkerClient(() => new FakeWorker('ok'), clock, 'timelapse encode', 60_000, 30_000);
    const buffer = new ArrayBuffer(8);
    const [a, b] = await Promise.all([client.call(request, [buffer]), client.call(request)]);
    expect(a).toMatchObject({ frames: 2, width: 64, height: 48, mime: 'image/gif' });
    expect(b?.frames).toBe(2);
    expect(FakeWorker.spawned).toHaveLength(1);
    expect(FakeWorker.spawned[0]!.transfers).toEqual([[buffer], []]);
    clock.advance(30_000);
    expect(FakeWorker.spawned[0]!.terminated).toBe(true);
    await client.call(request);
    expect(FakeWorker.spawned).toHaveLength(2);
  });

  it('passes a hold to a running Worker only: a hint never starts one', async () => {
    FakeWorker.spawned = [];
    const client = new WorkerClient(() => new FakeWorker('hang'), new FakeClock(), 'timelapse encode');
    client.hold(500);
    expect(FakeWorker.spawned).toHaveLength(0);
    void client.call(request).catch(() => undefined);
    client.hold(500);
    expect(FakeWorker.spawned.map((w) => w.holds)).toEqual([[500]]);
    client.close();
  });

  it('rejects with the error the Worker answers, and keeps the Worker', async () => {
    FakeWorker.spawned = [];
    const client = new WorkerClient(() => new FakeWorker('refuse'), new FakeClock(), 'GIF');
    await expect(client.call(request)).rejects.toThrow('no frames');
    expect(FakeWorker.spawned[0]!.terminated).toBe(false);
  });

  it.each([
    ['crashes', 'crash' as const, /timelapse encode worker failed: out of memory/, 0],
    ['hangs', 'hang' as const, /timelapse encode took longer than 60000 ms/, 60_000],
  ])(
    'rejects when the Worker %s, and starts a fresh one for the next request',
    async (_n, mode, message, wait) => {
      FakeWorker.spawned = [];
      const clock = new FakeClock();
      let first = true;
      const client = new WorkerClient(
        () => {
          const w = new FakeWorker(first ? mode : 'ok');
          first = false;
          return w;
        },
        clock,
        'timelapse encode',
        60_000,
      );
      const failing = client.call(request);
      clock.advance(wait);
      await expect(failing).rejects.toThrow(message);
      expect(FakeWorker.spawned[0]!.terminated).toBe(true);
      await expect(client.call(request)).resolves.toMatchObject({ frames: 2 });
      expect(FakeWorker.spawned).toHaveLength(2);
    },
  );
});
