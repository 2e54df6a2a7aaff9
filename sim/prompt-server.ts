/**
 * ComfyUI's `PromptServer` for one run of the process: the routing table (sid → socket) with each socket's
 * feature flags, `client_id`/`last_node_id`, the prompt counter, the prompt queue with its history, the
 * executor and the prompt worker, and the publish queue. A simulated restart discards the whole object
 * and makes a new one, as a real restart loses all of it.
 */
import { ExecutorKilled, PromptExecutor, type ServerPort } from './executor';
import { NodeException } from './nodes';
import { pyClone, pyDumps, pyTypeName } from './pyjson';
import { PromptQueue } from './queue';
import { type Conn, PublishQueue, sendFrame } from './sessions';

export interface ServerDirs {
  outputDir: string;
  tempDir: string;
  inputDir: string;
}

export interface PromptServerDeps {
  timeScale: number;
  dirs: ServerDirs;
  log: (line: string) => void;
}

export class PromptServer implements ServerPort {
  readonly sockets = new Map<string, Conn>();
  readonly metadata = new Map<string, { feature_flags: unknown }>();
  readonly queue: PromptQueue;
  readonly executor: PromptExecutor;
  clientId: string | null = null;
  lastNodeId: string | null = null;
  lastPromptId: string | null = null;
  /** The prompt counter (`self.number`): the queue priority of the next prompt. */
  number = 0;
  private readonly stop = { cancelled: false };
  private idleWaiters: (() => void)[] = [];
  private readonly publish = new PublishQueue((payload, sid) => this.deliver(payload, sid));

  constructor(private readonly deps: PromptServerDeps) {
    this.queue = new PromptQueue(() => this.queueUpdated());
    this.executor = new PromptExecutor(this, {
      timeScale: deps.timeScale,
      outputDir: deps.dirs.outputDir,
      tempDir: deps.dirs.tempDir,
    });
    void this.worker();
  }

  /** The process died: the worker stops at its next step and the running prompt unwinds silently. */
  kill(): void {
    this.stop.cancelled = true;
    this.executor.killed = true;
    this.queue.wake();
  }

  queueInfo() {
    return { exec_info: { queue_remaining: this.queue.tasksRemaining() } };
  }

  queueUpdated(): void {
    this.sendSync('status', { status: this.queueInfo() }, null);
    if (this.queue.tasksRemaining() === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  waitIdle(): Promise<void> {
    if (this.queue.tasksRemaining() === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** `send_sync`: through the publish queue, in FIFO order. sid null = every registered socket. */
  sendSync(event: string, data: unknown, sid: string | null): void {
    this.publish.push(pyDumps({ type: event, data }), sid, false);
  }

  /** `await self.send(...)` from the ws handler itself: bypasses the publish queue. */
  sendDirect(event: string, data: unknown, sid: string): void {
    this.deliver(pyDumps({ type: event, data }), sid);
  }

  sendPreview(jpeg: Buffer, sid: string | null, metadata: Record<string, unknown> | null): void {
    if (metadata === null) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(1, 0);
      head.writeUInt32BE(1, 4); // 1 = JPEG
      this.publish.push(Buffer.concat([head, jpeg]), sid, true);
      return;
    }
    const meta = Buffer.from(pyDumps({ ...metadata, image_type: 'image/jpeg' }), 'utf8');
    const head = Buffer.alloc(8);
    head.writeUInt32BE(4, 0);
    head.writeUInt32BE(meta.length, 4);
    this.publish.push(Buffer.concat([head, meta, jpeg]), sid, true);
  }

  /** `feature_flags.supports_feature`; a non-object flags value raises inside the node like Python. */
  supportsPreviewMetadata(sid: string | null): boolean {
    if (sid === null) return false;
    const meta = this.metadata.get(sid);
    if (!meta) return false;
    const flags = meta.feature_flags;
    if (flags === null || typeof flags !== 'object' || Array.isArray(flags)) {
      throw new NodeException(`'${pyTypeName(flags)}' object has no attribute 'get'`, 'AttributeError');
    }
    return (flags as Record<string, unknown>).supports_preview_metadata === true;
  }

  /** `send_json`/`send_bytes`: sid null = every registered socket; an unknown sid = dropped. */
  private deliver(payload: string | Buffer, sid: string | null): void {
    if (sid === null) {
      for (const conn of [...this.sockets.values()]) sendFrame(conn, payload);
    } else {
      const conn = this.sockets.get(sid);
      if (conn) sendFrame(conn, payload);
    }
  }

  /** `prompt_worker`: one prompt at a time, history and the final bare `executing` after each. */
  private async worker(): Promise<void> {
    for (;;) {
      const got = await this.queue.get(this.stop);
      if (!got || this.stop.cancelled) return;
      const [item, itemId] = got;
      this.lastPromptId = item[1];
      const started = performance.now();
      try {
        await this.executor.execute(item[2], item[1], pyClone(item[3]), item[4]);
      } catch (err) {
        if (err instanceof ExecutorKilled) return;
        this.deps.log(`ERROR: worker: ${String(err)}`);
      }
      if (this.stop.cancelled) return;
      const ok = this.executor.success;
      this.queue.taskDone(itemId, this.executor.historyResult, {
        status_str: ok ? 'success' : 'error',
        completed: ok,
        messages: this.executor.statusMessages,
      });
      if (this.clientId !== null)
        this.sendSync('executing', { node: null, prompt_id: item[1] }, this.clientId);
      this.deps.log(`Prompt executed in ${((performance.now() - started) / 1000).toFixed(2)} seconds`);
    }
  }
}
