/**
 * The offscreen document's side of the timelapse Worker (`encode.worker.ts`).
 *
 * Invariants:
 * - One Worker at a time, started on the first encode and ended after `idleMs` without work, so an idle
 *   extension holds no encoder thread.
 * - Every request settles: with the Worker's answer, or an error when the Worker fails, or after
 *   `timeoutMs` (the Worker is then ended and the next request starts a fresh one).
 */
import type { Clock } from '../../comfy/types';
import type { EncodedTimelapse, EncodeRequest } from './encode';

export interface TimelapseEncoder {
  /** Resolves to null when none of the frames could be decoded. */
  encode(request: EncodeRequest): Promise<EncodedTimelapse | null>;
}

export interface WorkerRequest {
  id: number;
  request: EncodeRequest;
}

export type WorkerAnswer =
  | { id: number; ok: true; result: EncodedTimelapse | null }
  | { id: number; ok: false; error: string };

export interface WorkerLike {
  postMessage(message: WorkerRequest): void;
  onmessage: ((ev: { data: WorkerAnswer }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  terminate(): void;
}

interface Pending {
  resolve(v: EncodedTimelapse | null): void;
  reject(e: Error): void;
  timer: unknown;
}

export class WorkerEncoder implements TimelapseEncoder {
  private worker: WorkerLike | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: unknown;

  constructor(
    private readonly spawn: () => WorkerLike,
    private readonly clock: Clock,
    private readonly timeoutMs = 60_000,
    private readonly idleMs = 30_000,
  ) {}

  encode(request: EncodeRequest): Promise<EncodedTimelapse | null> {
    this.clock.clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.fail(new Error(`timelapse encode took longer than ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, request });
    });
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const w = this.spawn();
    w.onmessage = (ev) => this.settle(ev.data);
    w.onerror = (ev) => this.fail(new Error(`timelapse worker failed: ${eventMessage(ev)}`));
    this.worker = w;
    return w;
  }

  private settle(answer: WorkerAnswer): void {
    const p = this.pending.get(answer.id);
    if (!p) return;
    this.pending.delete(answer.id);
    this.clock.clearTimeout(p.timer);
    if (answer.ok) p.resolve(answer.result);
    else p.reject(new Error(answer.error));
    this.scheduleIdle();
  }

  /** The Worker is unusable (crashed, hung): every request in it fails, and the next one starts afresh. */
  private fail(error: Error): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  private scheduleIdle(): void {
    if (this.pending.size > 0) return;
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => {
      if (this.pending.size > 0) return;
      this.worker?.terminate();
      this.worker = null;
    }, this.idleMs);
  }

  close(): void {
    this.clock.clearTimeout(this.idleTimer);
    this.fail(new Error('timelapse encoder closed'));
  }
}

function eventMessage(ev: unknown): string {
  if (ev && typeof ev === 'object' && 'message' in ev && typeof ev.message === 'string') return ev.message;
  return 'error event';
}
