/**
 * One request/answer channel to a dedicated Worker, for the media work that must not share a thread with
 * the engine's sockets (the offscreen document's timelapse encodes) or with a page's rendering (a GIF made
 * from a stored video when the user asks for one).
 *
 * Invariants:
 * - One Worker at a time, started on the first request and ended after `idleMs` without work, so an idle
 *   extension holds no media thread.
 * - Every request settles: with the Worker's answer, or an error when the Worker fails, or after
 *   `timeoutMs` (the Worker is then ended and the next request starts a fresh one).
 */
import type { Clock } from '../../comfy/types';

export interface WorkerRequest<Req> {
  id: number;
  request: Req;
}

export type WorkerAnswer<Res> =
  | { id: number; ok: true; result: Res }
  | { id: number; ok: false; error: string };

/** A hint, not a request: hold off the CPU-heavy work for `holdMs` from now (no answer). */
export interface WorkerHold {
  holdMs: number;
}

export interface WorkerLike<Req = unknown, Res = unknown> {
  postMessage(message: WorkerRequest<Req> | WorkerHold, transfer?: Transferable[]): void;
  onmessage: ((ev: { data: WorkerAnswer<Res> }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  terminate(): void;
}

interface Pending<Res> {
  resolve(v: Res): void;
  reject(e: Error): void;
  timer: unknown;
}

export class WorkerClient<Req, Res> {
  private worker: WorkerLike<Req, Res> | null = null;
  private readonly pending = new Map<number, Pending<Res>>();
  private nextId = 1;
  private idleTimer: unknown;

  constructor(
    private readonly spawn: () => WorkerLike<Req, Res>,
    private readonly clock: Clock,
    /** What the requests are, for error messages ("timelapse encode", "GIF"). */
    private readonly what: string,
    private readonly timeoutMs = 60_000,
    private readonly idleMs = 30_000,
  ) {}

  /** Sends `request` (the `transfer` list moves its buffers instead of copying them). */
  call(request: Req, transfer: Transferable[] = []): Promise<Res> {
    this.clock.clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.fail(new Error(`${this.what} took longer than ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, request }, transfer);
    });
  }

  /** Asks a running Worker to hold off for `holdMs`; never starts one for it (nothing to hold then). */
  hold(holdMs: number): void {
    this.worker?.postMessage({ holdMs });
  }

  private ensureWorker(): WorkerLike<Req, Res> {
    if (this.worker) return this.worker;
    const w = this.spawn();
    w.onmessage = (ev) => this.settle(ev.data);
    w.onerror = (ev) => this.fail(new Error(`${this.what} worker failed: ${eventMessage(ev)}`));
    this.worker = w;
    return w;
  }

  private settle(answer: WorkerAnswer<Res>): void {
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
    this.fail(new Error(`${this.what} closed`));
  }
}

/**
 * The Worker's side: answers each request with `handle`'s result, moving the buffers `transfer` names, and
 * passes hold hints to `onHold`.
 */
export function serveRequests<Req, Res>(
  handle: (request: Req) => Promise<Res>,
  transfer: (result: Res) => Transferable[] = () => [],
  onHold: (holdMs: number) => void = () => undefined,
): void {
  const scope = self as unknown as {
    onmessage: ((ev: MessageEvent<WorkerRequest<Req> | WorkerHold>) => void) | null;
    postMessage(message: WorkerAnswer<Res>, transfer: Transferable[]): void;
  };
  scope.onmessage = (ev) => {
    if ('holdMs' in ev.data) {
      onHold(ev.data.holdMs);
      return;
    }
    const { id, request } = ev.data;
    handle(request).then(
      (result) => scope.postMessage({ id, ok: true, result }, transfer(result)),
      (e: unknown) =>
        scope.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) }, []),
    );
  };
}

function eventMessage(ev: unknown): string {
  if (ev && typeof ev === 'object' && 'message' in ev && typeof ev.message === 'string') return ev.message;
  return 'error event';
}
