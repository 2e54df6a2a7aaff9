// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ComfyClient, type ComfyClientOptions } from './client';
import { useComfyClient, useComfyJob, useComfyJobs, useConnectionState } from './react';
import { FakeClock, flushMicrotasks } from './testing/fake-clock';
import { fakeWebSocketServer } from './testing/fake-websocket';
import type { FetchLike } from './types';

const PROMPT_ID = '0f5c8b7e-3d6a-4a57-9a3e-2d1f0c9b7a11';

/** Answers like a default ComfyUI without the jobs API and with an empty queue. */
const fakeFetch: FetchLike = async (input, init) => {
  const url = new URL(String(input));
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  if (url.pathname === '/api/prompt' && init?.method === 'POST')
    return json(200, { prompt_id: PROMPT_ID, number: 1, node_errors: {} });
  if (url.pathname === '/api/queue')
    return json(200, { queue_running: [[1, PROMPT_ID, {}, {}, []]], queue_pending: [] });
  if (url.pathname === '/api/prompt') return json(200, { exec_info: { queue_remaining: 1 } });
  return new Response('404: Not Found', { status: 404 });
};

function Jobs({ client }: { client: ComfyClient | null }) {
  const jobs = useComfyJobs(client);
  const state = useConnectionState(client);
  const first = useComfyJob(client, jobs[0]?.promptId);
  return (
    <div>
      <span data-testid="state">{state}</span>
      <ul>
        {jobs.map((j) => (
          <li key={j.promptId} data-testid="job">
            {j.status} {Math.round(j.progress * 100)}%
          </li>
        ))}
      </ul>
      <span data-testid="first">{first?.status ?? 'none'}</span>
    </div>
  );
}

function App({ opts }: { opts: ComfyClientOptions | null }) {
  const client = useComfyClient(opts);
  return <Jobs client={client} />;
}

afterEach(cleanup);

describe('React bindings', () => {
  it('useComfyJobs and useConnectionState follow the client live', async () => {
    const server = fakeWebSocketServer();
    const clock = new FakeClock();
    const client = new ComfyClient({
      url: 'http://comfy.test',
      clientId: 'ui',
      WebSocket: server.WebSocket,
      fetch: fakeFetch,
      clock,
    });
    render(<Jobs client={client} />);
    expect(screen.getByTestId('state').textContent).toBe('connecting');
    await act(async () => {
      server.last().open();
      await flushMicrotasks();
    });
    expect(screen.getByTestId('state').textContent).toBe('connected');

    await act(async () => {
      await client.submit({ '1': { class_type: 'PeerSteps', inputs: {} } });
    });
    expect(screen.getAllByTestId('job').map((li) => li.textContent)).toEqual(['pending 0%']);

    const ws = server.last();
    act(() => {
      ws.receive({ type: 'execution_start', data: { prompt_id: PROMPT_ID, timestamp: 1 } });
      ws.receive({ type: 'executing', data: { node: '1', display_node: '1', prompt_id: PROMPT_ID } });
      ws.receive({ type: 'progress', data: { value: 5, max: 10, node: '1', prompt_id: PROMPT_ID } });
    });
    expect(screen.getByTestId('job').textContent).toBe('running 50%');
    act(() => {
      ws.receive({ type: 'execution_success', data: { prompt_id: PROMPT_ID, timestamp: 2 } });
      ws.receive({ type: 'executing', data: { node: null, prompt_id: PROMPT_ID } });
    });
    expect(screen.getByTestId('job').textContent).toBe('success 100%');
    expect(screen.getByTestId('first').textContent).toBe('success');
    act(() => ws.drop());
    expect(screen.getByTestId('state').textContent).toBe('reconnecting');
    client.close();
  });

  it('useComfyClient creates one client per server identity and closes it on unmount', async () => {
    const server = fakeWebSocketServer();
    const options: ComfyClientOptions = {
      url: 'http://comfy.test',
      clientId: 'ui',
      WebSocket: server.WebSocket,
      fetch: fakeFetch,
      clock: new FakeClock(),
    };
    const view = render(<App opts={options} />);
    expect(server.sockets).toHaveLength(1);
    view.rerender(<App opts={{ ...options }} />); // same identity: same client
    expect(server.sockets).toHaveLength(1);
    view.rerender(<App opts={{ ...options, url: 'http://other.test' }} />);
    expect(server.sockets).toHaveLength(2);
    expect(server.sockets[0]!.closedByClient).toBe(1000);
    view.unmount();
    expect(server.sockets[1]!.closedByClient).toBe(1000);
    const none = render(<App opts={null} />);
    expect(none.getByTestId('state').textContent).toBe('offline');
  });
});
