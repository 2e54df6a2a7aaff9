// The open SSE streams of this instance: a cap per API key (a stream holds a connection and a hub
// subscription for as long as the client likes), and a way to end them all at shutdown, since they never
// end on their own.

export interface StreamHandle {
  /** Resolves after `ms`, or at once when the stream is being ended. */
  sleep(ms: number): Promise<void>;
  readonly ending: boolean;
  release(): void;
}

export class StreamRegistry {
  private readonly perKey = new Map<number, number>();
  private readonly wakers = new Set<() => void>();
  private endingAll = false;

  constructor(private readonly maxPerKey: number) {}

  /** Registers a stream of this key, or returns null when the key already has `maxPerKey` open. */
  open(keyId: number): StreamHandle | null {
    const n = this.perKey.get(keyId) ?? 0;
    if (n >= this.maxPerKey || this.endingAll) return null;
    this.perKey.set(keyId, n + 1);
    let released = false;
    let ending = false;
    let wake: (() => void) | null = null;
    const waker = () => {
      ending = true;
      wake?.();
    };
    this.wakers.add(waker);
    return {
      get ending() {
        return ending;
      },
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          if (ending) return resolve();
          const timer = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      release: () => {
        if (released) return;
        released = true;
        this.wakers.delete(waker);
        const left = (this.perKey.get(keyId) ?? 1) - 1;
        if (left > 0) this.perKey.set(keyId, left);
        else this.perKey.delete(keyId);
      },
    };
  }

  /** True once endAll() ran: the server is shutting down. */
  get ending(): boolean {
    return this.endingAll;
  }

  count(keyId: number): number {
    return this.perKey.get(keyId) ?? 0;
  }

  /** Ends every open stream (each finishes its response normally) and refuses new ones. */
  endAll(): void {
    this.endingAll = true;
    for (const wake of [...this.wakers]) wake();
  }
}
