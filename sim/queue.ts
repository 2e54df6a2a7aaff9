/**
 * ComfyUI's `execution.PromptQueue` (0.3.64): a `heapq` of 5-tuples, the running map, and the in-memory
 * history capped at MAXIMUM_HISTORY_SIZE. `GET /queue` shows the pending list in HEAP order, exactly like
 * the real server, so the heap operations mirror Python's `heapq` (siftdown/siftup) one for one.
 */
import type { ApiPrompt } from '../lib/comfy/types';
import { PyFloat, pyClone } from './pyjson';

export const MAXIMUM_HISTORY_SIZE = 10000;

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueItem = [number | PyFloat, string, ApiPrompt, Record<string, unknown>, string[]];

export interface ExecutionStatus {
  status_str: 'success' | 'error';
  completed: boolean;
  messages: [string, Record<string, unknown>][];
}

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, unknown>;
  status: ExecutionStatus | null;
  meta?: Record<string, unknown>;
}

const num = (n: number | PyFloat): number => (n instanceof PyFloat ? n.value : n);

/** Python tuple ordering: by number, then by prompt_id. */
function lt(a: QueueItem, b: QueueItem): boolean {
  const na = num(a[0]);
  const nb = num(b[0]);
  if (na !== nb) return na < nb;
  return a[1] < b[1];
}

function siftdown(heap: QueueItem[], startpos: number, pos: number): void {
  const newitem = heap[pos]!;
  while (pos > startpos) {
    const parentpos = (pos - 1) >> 1;
    const parent = heap[parentpos]!;
    if (lt(newitem, parent)) {
      heap[pos] = parent;
      pos = parentpos;
      continue;
    }
    break;
  }
  heap[pos] = newitem;
}

function siftup(heap: QueueItem[], pos: number): void {
  const endpos = heap.length;
  const startpos = pos;
  const newitem = heap[pos]!;
  let childpos = 2 * pos + 1;
  while (childpos < endpos) {
    const rightpos = childpos + 1;
    if (rightpos < endpos && !lt(heap[childpos]!, heap[rightpos]!)) childpos = rightpos;
    heap[pos] = heap[childpos]!;
    pos = childpos;
    childpos = 2 * pos + 1;
  }
  heap[pos] = newitem;
  siftdown(heap, startpos, pos);
}

export function heappush(heap: QueueItem[], item: QueueItem): void {
  heap.push(item);
  siftdown(heap, 0, heap.length - 1);
}

export function heappop(heap: QueueItem[]): QueueItem | undefined {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return last;
  const ret = heap[0]!;
  heap[0] = last;
  siftup(heap, 0);
  return ret;
}

export function heapify(heap: QueueItem[]): void {
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftup(heap, i);
}

export class PromptQueue {
  queue: QueueItem[] = [];
  readonly currentlyRunning = new Map<number, QueueItem>();
  history = new Map<string, HistoryEntry>();
  private taskCounter = 0;
  private waiters: (() => void)[] = [];

  /** `onUpdate` is `PromptServer.queue_updated`: a `status` broadcast. */
  constructor(private readonly onUpdate: () => void) {}

  put(item: QueueItem): void {
    heappush(this.queue, item);
    this.onUpdate();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once an item is available; pops it into `currentlyRunning`. */
  async get(signal: { cancelled: boolean }): Promise<[QueueItem, number] | null> {
    while (this.queue.length === 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (signal.cancelled) return null;
    }
    const item = heappop(this.queue)!;
    const i = this.taskCounter++;
    this.currentlyRunning.set(i, pyClone(item));
    this.onUpdate();
    return [item, i];
  }

  /** Wake a pending `get` so that a stopped worker can exit. */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  taskDone(
    itemId: number,
    historyResult: { outputs: Record<string, unknown>; meta: Record<string, unknown> },
    status: ExecutionStatus | null,
  ): void {
    const prompt = this.currentlyRunning.get(itemId)!;
    this.currentlyRunning.delete(itemId);
    // Same off-by-one as the server: the check runs before the insert, so 10001 entries can exist.
    if (this.history.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.history.keys().next().value;
      if (oldest !== undefined) this.history.delete(oldest);
    }
    this.history.set(prompt[1], {
      prompt,
      outputs: historyResult.outputs,
      status: status ? pyClone(status) : null,
      meta: historyResult.meta,
    });
    this.onUpdate();
  }

  getCurrentQueue(): [QueueItem[], QueueItem[]] {
    return [[...this.currentlyRunning.values()], [...this.queue]];
  }

  tasksRemaining(): number {
    return this.queue.length + this.currentlyRunning.size;
  }

  wipeQueue(): void {
    this.queue = [];
    this.onUpdate();
  }

  /** Removes the first pending item matching `pred`. Running items are never touched. */
  deleteQueueItem(pred: (item: QueueItem) => boolean): boolean {
    for (let x = 0; x < this.queue.length; x++) {
      if (pred(this.queue[x]!)) {
        if (this.queue.length === 1) {
          this.wipeQueue();
        } else {
          this.queue.splice(x, 1);
          heapify(this.queue);
        }
        // The real server announces twice when it removes the last item (wipe_queue + here).
        this.onUpdate();
        return true;
      }
    }
    return false;
  }

  /** `get_history(prompt_id=None, max_items, offset)`: insertion order, `max_items` alone = the last N. */
  getHistory(maxItems: number | null, offset: number): Record<string, HistoryEntry> {
    const out: Record<string, HistoryEntry> = {};
    let i = 0;
    let off = offset;
    if (off < 0 && maxItems !== null) off = this.history.size - maxItems;
    for (const [k, v] of this.history) {
      if (i >= off) {
        out[k] = v;
        if (maxItems !== null && Object.keys(out).length >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  getHistoryItem(promptId: string): Record<string, HistoryEntry> {
    const entry = this.history.get(promptId);
    return entry ? { [promptId]: pyClone(entry) } : {};
  }

  wipeHistory(): void {
    this.history = new Map();
  }

  deleteHistoryItem(id: string): void {
    this.history.delete(id);
  }
}
