/**
 * The README's "Watching jobs from other clients" sample runs as written: its code block is taken from
 * the README itself and run against the simulator. Only what a Node reader supplies is injected: the
 * `ws` WebSocket (Node 20 has none; the README says to pass one), the simulator's address in place of
 * 127.0.0.1:8188, `myStableIdForThisServer`, and a console that records.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimulator } from '../../sim';
import { ComfyClient, type ComfyClientOptions } from './client';
import type { ApiPrompt, WebSocketCtor } from './types';

const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
const workflow = (): ApiPrompt =>
  JSON.parse(readFileSync(new URL('../../fixtures/workflows/ok.json', import.meta.url), 'utf8'));

function sampleAfter(heading: string): string {
  const from = readme.indexOf(heading);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error(`no ts sample after "${heading}" in README.md`);
  return block[1]!;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('lib/comfy README', () => {
  it('the "watching jobs from other clients" sample sees a job queued by another client to its end, and one that ended before', async () => {
    const sim = await startSimulator({ port: 0, timeScale: 0.1 });
    cleanups.push(() => sim.close());
    const source = sampleAfter('### Watching jobs from other clients');
    const importLine = "import { ComfyClient } from '@comfypulse/comfy';";
    expect(source).toContain(importLine);
    const clients: ComfyClient[] = [];
    class NodeComfyClient extends ComfyClient {
      constructor(options: ComfyClientOptions) {
        super({
          ...options,
          url: options.url.replace('http://127.0.0.1:8188', sim.url),
          WebSocket: WebSocket as unknown as WebSocketCtor,
        });
        clients.push(this);
      }
    }
    // a job that ran and ended before the sample started: found in history after the first connect
    const earlier = await sim.submit({ prompt: workflow(), client_id: 'a-script' });
    const earlierId = (earlier.body as { prompt_id: string }).prompt_id;
    await sim.waitForIdle(15_000);
    const lines: string[] = [];
    const recordingConsole = { log: (...args: unknown[]) => lines.push(args.join(' ')) };
    // the sample is TypeScript that is also plain JavaScript (no annotations), so it runs as a function body
    const run = new Function(
      'ComfyClient',
      'myStableIdForThisServer',
      'console',
      source.replace(importLine, ''),
    );
    run(NodeComfyClient, 'readme-sample-client', recordingConsole);
    expect(clients).toHaveLength(1);
    cleanups.push(() => clients[0]!.close());

    const queued = await sim.submit({ prompt: workflow(), client_id: 'comfyui-tab' });
    const promptId = (queued.body as { prompt_id: string }).prompt_id;
    const until = Date.now() + 15_000;
    while (!lines.includes(`ended: ${promptId} success`) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(lines).toContain(`ended: ${promptId} success`);
    expect(lines.some((l) => l.startsWith(`from comfyui-tab ${promptId}`))).toBe(true);
    expect(lines).toContain(`ended while we were away: ${earlierId} (news)`);
  });
});
