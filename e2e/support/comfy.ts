/**
 * The test's own ComfyUI client: it posts workflows over HTTP and plays "another client" (like the ComfyUI
 * tab) with a Node WebSocket. It is deliberately independent of `lib/comfy`, so a bug there cannot hide
 * behind the same bug in the test.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { z } from 'zod';
import { ROOT } from './build';

export type WorkflowName = 'ok' | 'cached' | 'slow' | 'fail' | 'invalid' | 'invalid-unknown-node';

type ApiPrompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

export interface PostOptions {
  /** Submit as this client; omitted means no `client_id`, as a script or automation would. */
  clientId?: string;
  /** Overrides for every PeerSteps node. The seed defaults to a random one so that nothing is cached. */
  steps?: number;
  delayMs?: number;
  seed?: number;
  /** Overrides the message of every PeerFail node, so a spec can tell this failure from any other. */
  failMessage?: string;
  extraData?: Record<string, unknown>;
}

const PromptResponse = z.object({ prompt_id: z.string(), number: z.number().optional() });
const HistoryEntry = z.object({
  status: z
    .object({ status_str: z.string().optional(), completed: z.boolean().optional() })
    .partial()
    .optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
});

export function loadWorkflow(name: WorkflowName): ApiPrompt {
  return JSON.parse(readFileSync(join(ROOT, 'fixtures/workflows', `${name}.json`), 'utf8')) as ApiPrompt;
}

export function customise(prompt: ApiPrompt, opts: PostOptions): ApiPrompt {
  const out = structuredClone(prompt);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  for (const node of Object.values(out)) {
    if (node.class_type === 'PeerFail' && opts.failMessage !== undefined)
      node.inputs.message = opts.failMessage;
    if (node.class_type !== 'PeerSteps') continue;
    node.inputs.seed = seed;
    if (opts.steps !== undefined) node.inputs.steps = opts.steps;
    if (opts.delayMs !== undefined) node.inputs.delay_ms = opts.delayMs;
  }
  return out;
}

export class ComfyDriver {
  constructor(readonly baseUrl: string) {}

  /** Posts a workflow from fixtures/workflows and returns its prompt id; throws on a non-200 answer. */
  async post(name: WorkflowName, opts: PostOptions = {}): Promise<string> {
    const body: Record<string, unknown> = { prompt: customise(loadWorkflow(name), opts) };
    if (opts.clientId) body.client_id = opts.clientId;
    if (opts.extraData) body.extra_data = opts.extraData;
    const res = await fetch(`${this.baseUrl}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST /prompt answered ${res.status}: ${text}`);
    return PromptResponse.parse(JSON.parse(text)).prompt_id;
  }

  async history(promptId: string): Promise<z.infer<typeof HistoryEntry> | undefined> {
    const res = await fetch(`${this.baseUrl}/history/${promptId}`);
    if (!res.ok) throw new Error(`GET /history answered ${res.status}`);
    const body = z.record(z.string(), HistoryEntry).parse(await res.json());
    return body[promptId];
  }

  /** Waits until the server itself reports the prompt as finished, whatever the extension shows. */
  async waitForHistory(promptId: string, timeoutMs = 60_000): Promise<z.infer<typeof HistoryEntry>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const entry = await this.history(promptId).catch(() => undefined);
      if (entry) return entry;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`prompt ${promptId} never reached /history within ${timeoutMs} ms`);
  }

  /** Opens a socket with its own clientId, as the ComfyUI tab does. */
  async connectClient(clientId = randomUUID().replaceAll('-', '')): Promise<OtherClient> {
    const ws = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}/ws?clientId=${clientId}`);
    const client = new OtherClient(ws, clientId, this);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }
}

export interface ReceivedFrame {
  at: number;
  type: string;
  data: Record<string, unknown>;
}

/** "Another client": its own socket and clientId; it records what the server sends it. */
export class OtherClient {
  readonly frames: ReceivedFrame[] = [];
  binaryFrames = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly clientId: string,
    private readonly driver: ComfyDriver,
  ) {
    ws.on('message', (data, isBinary) => {
      const at = performance.timeOrigin + performance.now();
      if (isBinary) {
        this.binaryFrames++;
        return;
      }
      try {
        const msg = JSON.parse(String(data)) as { type: string; data: Record<string, unknown> };
        this.frames.push({ at, type: msg.type, data: msg.data ?? {} });
      } catch {
        // A frame we cannot parse says nothing about the extension; the recorder only keeps what it can read.
      }
    });
    ws.on('error', () => {});
  }

  post(name: WorkflowName, opts: Omit<PostOptions, 'clientId'> = {}): Promise<string> {
    return this.driver.post(name, { ...opts, clientId: this.clientId });
  }

  close(): void {
    this.ws.close();
  }
}
