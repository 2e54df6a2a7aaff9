/**
 * Test support (not exported from the package): a `ComfyClient` wired to a fake clock, a scriptable
 * WebSocket and the fake ComfyUI HTTP model, plus frame builders in ComfyUI's wire shape.
 */
import { ComfyClient, type ComfyClientEvents, type ComfyClientOptions } from '../client';
import type { ApiPrompt } from '../types';
import { FakeClock, flushMicrotasks } from './fake-clock';
import { type FakeComfyModel, fakeComfyHttp } from './fake-comfy-http';
import { fakeWebSocketServer } from './fake-websocket';

export const OUR_ID = 'ext-client';

export const GRAPH: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'PeerSteps', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0] } },
};

export const frame = {
  status: (queueRemaining: number) => ({
    type: 'status',
    data: { status: { exec_info: { queue_remaining: queueRemaining } } },
  }),
  start: (id: string) => ({ type: 'execution_start', data: { prompt_id: id } }),
  executing: (id: string, node: string | null) => ({ type: 'executing', data: { node, prompt_id: id } }),
  progress: (id: string, value: number, max = 4, node = '2') => ({
    type: 'progress',
    data: { value, max, prompt_id: id, node },
  }),
  success: (id: string) => ({ type: 'execution_success', data: { prompt_id: id } }),
  /** A type-4 preview (binary) with metadata naming the prompt. */
  preview: (id: string, bytes = [1, 2, 3]): ArrayBuffer => {
    const meta = new TextEncoder().encode(
      JSON.stringify({ node_id: '2', prompt_id: id, image_type: 'image/jpeg' }),
    );
    const buf = new Uint8Array(8 + meta.length + bytes.length);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, 4);
    dv.setUint32(4, meta.length);
    buf.set(meta, 8);
    buf.set(bytes, 8 + meta.length);
    return buf.buffer;
  },
};

export interface ClientRig {
  client: ComfyClient;
  model: FakeComfyModel;
  clock: FakeClock;
  ws: ReturnType<typeof fakeWebSocketServer>;
  calls: ReturnType<typeof fakeComfyHttp>['calls'];
  /** Every event the client emitted, in order, as `[name, value]`. */
  seen: [keyof ComfyClientEvents, unknown][];
  /** Lets pending HTTP answers and their follow-ups run. */
  settle(): Promise<void>;
  /** Opens the current socket (with ComfyUI's status greeting) and lets the reconciliation finish. */
  open(queueRemaining?: number): Promise<void>;
  /** Delivers a frame on the current socket and lets what it starts finish. */
  receive(data: unknown): Promise<void>;
  /** Advances fake time, letting HTTP answers run after each timer. */
  advance(ms: number): Promise<void>;
  /** Calls of `GET <path>` so far. */
  count(path: string): number;
}

const EVENTS: (keyof ComfyClientEvents)[] = ['job', 'end', 'preview', 'missed', 'error', 'status'];

export function clientRig(options: Partial<ComfyClientOptions> = {}): ClientRig {
  const model: FakeComfyModel = { running: [], pending: [], history: {}, up: true };
  const { fetch, calls } = fakeComfyHttp(model);
  const clock = new FakeClock();
  const ws = fakeWebSocketServer();
  const client = new ComfyClient({
    url: 'http://comfy.test',
    clientId: OUR_ID,
    WebSocket: ws.WebSocket,
    fetch,
    clock,
    random: () => 0.5,
    ...options,
  });
  const seen: ClientRig['seen'] = [];
  for (const e of EVENTS) client.on(e, (v) => seen.push([e, v]));
  const settle = () => flushMicrotasks(60);
  return {
    client,
    model,
    clock,
    ws,
    calls,
    seen,
    settle,
    async open(queueRemaining = model.running.length + model.pending.length) {
      ws.last().open();
      ws.last().receive(frame.status(queueRemaining));
      await settle();
    },
    async receive(data) {
      ws.last().receive(data);
      await settle();
    },
    async advance(ms) {
      await clock.advanceAsync(ms);
      await settle();
    },
    count: (path) => calls.filter((c) => c.method === 'GET' && c.path.split('?')[0] === path).length,
  };
}
