/**
 * Test support (not exported from the package): a stateful stand-in for ComfyUI's HTTP API as a `fetch`,
 * without the jobs API. The test edits `model` to play the server: what is queued (with whose client_id
 * and which graph), what history holds, whether it answers at all.
 */
import type { ApiPrompt, FetchLike } from '../types';

export interface FakeQueued {
  id: string;
  number: number;
  prompt?: ApiPrompt;
  clientId?: string;
}

export interface FakeComfyModel {
  running: FakeQueued[];
  pending: FakeQueued[];
  /** Finished prompts, as `GET /history` returns them (oldest first: the server keeps insertion order). */
  history: Record<string, unknown>;
  /** false: every request fails like a refused connection. */
  up: boolean;
}

export interface SeenCall {
  method: string;
  path: string;
  body: unknown;
}

/** A finished history entry in ComfyUI's wire shape. */
export function historyEntry(
  q: FakeQueued,
  outcome: 'success' | 'error' | 'interrupted',
  endedAt: number,
  createTime?: number,
): unknown {
  const extra: Record<string, unknown> = {};
  if (q.clientId) extra.client_id = q.clientId;
  if (createTime !== undefined) extra.create_time = createTime;
  const end =
    outcome === 'success'
      ? ['execution_success', { prompt_id: q.id, timestamp: endedAt }]
      : outcome === 'error'
        ? [
            'execution_error',
            { prompt_id: q.id, node_id: '1', exception_message: 'boom', timestamp: endedAt },
          ]
        : ['execution_interrupted', { prompt_id: q.id, node_id: '1', timestamp: endedAt }];
  return {
    prompt: [q.number, q.id, q.prompt ?? {}, extra, []],
    outputs: {},
    status: {
      status_str: outcome === 'success' ? 'success' : 'error',
      completed: outcome === 'success',
      messages: [['execution_start', { prompt_id: q.id, timestamp: endedAt - 1000 }], end],
    },
  };
}

export function fakeComfyHttp(model: FakeComfyModel): { fetch: FetchLike; calls: SeenCall[] } {
  const calls: SeenCall[] = [];
  const json = (status: number, b: unknown) =>
    new Response(JSON.stringify(b), { status, headers: { 'Content-Type': 'application/json' } });
  const tuple = (q: FakeQueued) => [
    q.number,
    q.id,
    q.prompt ?? {},
    q.clientId ? { client_id: q.clientId } : {},
    [],
  ];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, path: url.pathname + url.search, body });
    if (!model.up) throw new TypeError('fetch failed');
    const route = `${method} ${url.pathname}`;
    if (route === 'POST /api/prompt') {
      const number = 100 + calls.length;
      model.pending.push({ id: body.prompt_id, number, prompt: body.prompt, clientId: body.client_id });
      return json(200, { prompt_id: body.prompt_id, number, node_errors: {} });
    }
    if (route === 'GET /api/queue')
      return json(200, { queue_running: model.running.map(tuple), queue_pending: model.pending.map(tuple) });
    if (route === 'POST /api/queue') {
      const del: string[] = body?.delete ?? [];
      model.pending = model.pending.filter((q) => !del.includes(q.id));
      return new Response('', { status: 200 });
    }
    if (route === 'POST /api/interrupt') return new Response('', { status: 200 });
    if (route === 'GET /api/prompt')
      return json(200, { exec_info: { queue_remaining: model.running.length + model.pending.length } });
    if (route === 'GET /api/history') {
      const max = Number(url.searchParams.get('max_items') ?? Number.POSITIVE_INFINITY);
      return json(200, Object.fromEntries(Object.entries(model.history).slice(-max)));
    }
    if (url.pathname.startsWith('/api/history/')) {
      const id = decodeURIComponent(url.pathname.slice('/api/history/'.length));
      return json(200, model.history[id] ? { [id]: model.history[id] } : {});
    }
    return new Response('404: Not Found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
  };
  return { fetch, calls };
}
