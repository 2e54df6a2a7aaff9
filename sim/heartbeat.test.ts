/**
 * No heartbeat (comfyui-protocol.md §2.5: aiohttp's `WebSocketResponse()` defaults): the server never pings
 * and never sends anything on an idle connection, and never closes it. A client must not read silence as
 * death. Timers are faked from before the server starts, so whatever timer a heartbeat would use fires
 * within the ten idle minutes the test fast-forwards.
 */
import { afterEach, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type Simulator, startSimulator } from './index';
import { connect, isType, type TestClient } from './testing/client';

let sim: Simulator | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  client?.ws.terminate();
  await sim?.close();
});

it('sends no ping and no frame on an idle connection for ten minutes, and keeps it open', async () => {
  vi.useFakeTimers({
    shouldAdvanceTime: true,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  const ping = vi.spyOn(WebSocket.prototype, 'ping');
  sim = await startSimulator({ port: 0 });
  client = await connect(sim.url, 'idle');
  await client.waitFor(isType('status'));
  let pings = 0;
  client.ws.on('ping', () => pings++);
  for (let minute = 0; minute < 10; minute++) await vi.advanceTimersByTimeAsync(60_000);
  vi.useRealTimers();
  await new Promise((r) => setTimeout(r, 100));
  expect(ping).not.toHaveBeenCalled();
  expect(pings).toBe(0);
  expect(client.frames.map((f) => (f.kind === 'text' ? f.type : 'binary'))).toEqual(['status']);
  expect(client.ws.readyState).toBe(WebSocket.OPEN);
  expect(sim.state().openSockets).toBe(1);
});
