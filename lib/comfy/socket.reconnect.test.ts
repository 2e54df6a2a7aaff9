import { beforeEach, describe, expect, it } from 'vitest';
import { cappedExponentialBackoff, DEFAULT_SCHEDULE_MS } from './backoff';
import { ComfySocket, type ComfySocketOptions } from './socket';
import { FakeClock } from './testing/fake-clock';
import { type FakeWebSocket, fakeWebSocketServer } from './testing/fake-websocket';
import type { ConnectionState } from './types';

/** ComfyUI's greeting to every new socket (aiohttp's separators), and frames that are not it. */
const STATUS =
  '{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "client-a"}}';
const NOT_STATUS = { type: 'progress', data: { value: 1, max: 2 } };
const STATUS_LOOKALIKE = { type: 'cm-queue-status', data: { status: 'done' } };

let clock: FakeClock;
let server: ReturnType<typeof fakeWebSocketServer>;

function makeSocket(extra: Partial<ComfySocketOptions> = {}) {
  const socket = new ComfySocket({
    baseUrl: 'http://127.0.0.1:8188',
    clientId: 'client-a',
    WebSocket: server.WebSocket,
    clock,
    random: () => 0.5, // jitter factor exactly 1: delays equal the base schedule
    ...extra,
  });
  const states: ConnectionState[] = [];
  const messages: unknown[] = [];
  socket.on('state', (s) => states.push(s));
  socket.on('message', (m) => messages.push(m));
  socket.connect();
  return { socket, states, messages };
}

/** Fails the current handshake and returns the delay until the next dial. */
function failAndMeasure(): number {
  const before = server.sockets.length;
  server.last().failHandshake();
  const waited = clock.runNext();
  expect(server.sockets.length).toBe(before + 1);
  return waited!;
}

/** Three refused handshakes: the backoff has climbed 250 → 500 → 1000 ms. */
function climbToOneSecond(): void {
  server.last().failHandshake();
  expect(clock.runNext()).toBe(250);
  expect(failAndMeasure()).toBe(500);
  expect(failAndMeasure()).toBe(1000);
}

beforeEach(() => {
  clock = new FakeClock();
  server = fakeWebSocketServer();
});

describe('ComfySocket connection', () => {
  it('dials <base>/ws with the caller clientId and the token, in arraybuffer mode', () => {
    makeSocket({ token: 's3cret', baseUrl: 'https://example.test:8443/comfy/' });
    const ws = server.last();
    expect(ws.url).toBe('wss://example.test:8443/comfy/ws?clientId=client-a&token=s3cret');
    expect(ws.binaryType).toBe('arraybuffer');
  });

  it('sends feature_flags as the first message of every connection, reconnects included', () => {
    makeSocket();
    for (let i = 0; i < 3; i++) {
      const ws = server.last();
      ws.open();
      expect(ws.sentJson()[0]).toEqual({ type: 'feature_flags', data: { supports_preview_metadata: true } });
      ws.drop();
      clock.runNext();
    }
    expect(server.sockets).toHaveLength(4);
  });

  it('sends a JSON keepalive object every 20 s, never a bare string, and nothing before feature_flags', () => {
    makeSocket();
    const ws = server.last();
    ws.open();
    clock.advance(19_999);
    expect(ws.sent).toHaveLength(1);
    clock.advance(1);
    expect(ws.sent).toHaveLength(2);
    clock.advance(40_000);
    expect(ws.sentJson()).toEqual([
      { type: 'feature_flags', data: { supports_preview_metadata: true } },
      { type: 'keepalive' },
      { type: 'keepalive' },
      { type: 'keepalive' },
    ]);
  });

  it('reports connecting, connected, reconnecting, and offline once the quick phase is over', () => {
    const { states } = makeSocket();
    server.last().open();
    server.last().drop();
    expect(states).toEqual(['connecting', 'connected', 'reconnecting']);
    for (let i = 0; i < 8; i++) failAndMeasure();
    server.last().failHandshake();
    expect(states.at(-1)).toBe('offline');
    clock.runNext();
    server.last().open();
    expect(states.at(-1)).toBe('connected');
  });
});

describe('ComfySocket backoff', () => {
  it('follows the schedule while handshakes keep failing', () => {
    makeSocket();
    server.last().open();
    server.last().drop();
    const waits = [clock.runNext()];
    for (let i = 1; i < DEFAULT_SCHEDULE_MS.length + 3; i++) waits.push(failAndMeasure());
    expect(waits).toEqual([...DEFAULT_SCHEDULE_MS, 30_000, 30_000, 30_000]);
  });

  it.each([
    { jitter: 0, factor: 0.8 },
    { jitter: 0.999_999, factor: 1.2 },
  ])('applies jitter within bounds (random $jitter → ×$factor)', ({ jitter, factor }) => {
    makeSocket({ random: () => jitter });
    server.last().failHandshake();
    expect(clock.runNext()).toBe(Math.round(250 * factor));
    expect(failAndMeasure()).toBe(Math.round(500 * factor));
    expect(failAndMeasure()).toBe(Math.round(1000 * factor));
  });

  it("resets at once on the connection's first status frame: the server proved itself", () => {
    makeSocket();
    climbToOneSecond();
    server.last().open();
    server.last().receive(STATUS);
    clock.advance(100); // far from any "healthy for 10 s" timer
    server.last().drop();
    expect(clock.runNext()).toBe(250);
  });

  it.each([
    ['closed right after the handshake', () => undefined],
    ['sent other frames, not status', () => server.last().receive(NOT_STATUS)],
    [
      'sent a status-looking text that is not the status event',
      () => server.last().receive(STATUS_LOOKALIKE),
    ],
    ['sent malformed JSON mentioning status', () => server.last().receive('{"type": "status", ')],
  ])('an accepted handshake %s proves nothing: the backoff keeps climbing', (_, frames) => {
    makeSocket();
    server.last().failHandshake();
    clock.runNext(); // 250
    expect(failAndMeasure()).toBe(500);
    // a proxy in front of a dead server, or a dying server: accepted, then closed
    server.last().open();
    frames();
    clock.advance(200);
    server.last().drop();
    expect(clock.runNext()).toBe(1000);
    server.last().open();
    frames();
    server.last().drop();
    expect(clock.runNext()).toBe(1000);
  });

  it('a status frame later in the connection still counts, once', () => {
    const { socket } = makeSocket();
    const proofs: number[] = [];
    socket.on('proven', ({ generation }) => proofs.push(generation));
    for (let i = 0; i < 3; i++) failAndMeasure();
    server.last().open();
    server.last().receive(NOT_STATUS);
    server.last().receive(STATUS);
    server.last().receive(STATUS);
    server.last().drop();
    expect(clock.runNext()).toBe(250);
    expect(proofs).toEqual([socket.currentGeneration - 1]);
  });

  it('restarts back to back (2 s up, 5.5 s down, five rounds): every round starts from the quick end', () => {
    makeSocket();
    server.last().open();
    server.last().receive(STATUS);
    const handshakesPerRound: number[] = [];
    const backAfter: number[] = [];
    for (let round = 0; round < 5; round++) {
      clock.advance(2000);
      server.last().drop();
      const before = server.sockets.length;
      const downUntil = clock.now() + 5500;
      // every handshake while the server is down is refused at once
      for (;;) {
        clock.runNext();
        if (clock.now() >= downUntil) break;
        server.last().failHandshake();
      }
      backAfter.push(clock.now() - downUntil);
      server.last().open();
      server.last().receive(STATUS);
      handshakesPerRound.push(server.sockets.length - before);
    }
    // the same handshakes every round (no climbing to 8, 16, 30 s), and back within one 1 s step
    expect(new Set(handshakesPerRound).size).toBe(1);
    expect(Math.max(...backAfter)).toBeLessThanOrEqual(1000);
  });

  it('without status, a connection that stays open 10 s also resets (servers that never send one)', () => {
    makeSocket();
    climbToOneSecond();
    server.last().open();
    clock.advance(9_000);
    server.last().drop();
    expect(clock.runNext()).toBe(1000);
    server.last().open();
    clock.advance(10_000);
    server.last().drop();
    expect(clock.runNext()).toBe(250);
  });

  it('never gives up, even after a thousand failures', () => {
    makeSocket();
    for (let i = 0; i < 1000; i++) failAndMeasure();
    server.last().open();
    expect(server.sockets).toHaveLength(1001);
  });

  it('a policy that gives up (kept only to compare peers) stops dialling and reports offline', () => {
    const { states } = makeSocket({ backoff: cappedExponentialBackoff(1000, 15_000, 2) });
    server.last().failHandshake();
    clock.runNext();
    server.last().failHandshake();
    clock.runNext();
    server.last().failHandshake();
    expect(states.at(-1)).toBe('offline');
    expect(clock.pending).toBe(0);
    clock.advance(600_000);
    expect(server.sockets).toHaveLength(3);
  });

  it('retryNow dials at once during a backoff wait and does nothing while connected', () => {
    const { socket } = makeSocket();
    for (let i = 0; i < 10; i++) failAndMeasure();
    server.last().failHandshake(); // now waiting 8 s
    expect(clock.pendingDelays()[0]).toBe(8000);
    socket.retryNow();
    expect(server.sockets).toHaveLength(12);
    expect(clock.pending).toBe(1); // only the new handshake's connect timeout
    server.last().open();
    socket.retryNow();
    expect(server.sockets).toHaveLength(12);
  });

  it('abandons a handshake that never completes and retries', () => {
    makeSocket({ connectTimeoutMs: 5000 });
    const first = server.last();
    clock.advance(5000);
    expect(first.closedByClient).toBeDefined();
    clock.advance(250);
    expect(server.sockets).toHaveLength(2);
    first.open(); // the late open of the abandoned socket changes nothing
    first.finishClose();
    expect(server.sockets).toHaveLength(2);
    expect(clock.pendingDelays()).toEqual([5000]); // only the second handshake's own timeout
  });

  it('close() stops everything: no timers, no redial, state offline', () => {
    const { socket, states } = makeSocket();
    server.last().open();
    socket.close();
    expect(states.at(-1)).toBe('offline');
    expect(clock.pending).toBe(0);
    server.last().finishClose();
    clock.advance(600_000);
    expect(server.sockets).toHaveLength(1);
  });
});

describe('ComfySocket generation guard', () => {
  /** Zombie replacement leaves the old socket alive but detached; its late events must be no-ops. */
  function replaceByZombieCheck(): {
    old: FakeWebSocket;
    fresh: FakeWebSocket;
    messages: unknown[];
    states: ConnectionState[];
  } {
    const { messages, states } = makeSocket({ isBusy: () => true, probe: async () => true, silenceMs: 1000 });
    const old = server.last();
    old.open();
    return { old, fresh: old, messages, states };
  }

  it('a late close from an already-replaced socket is a no-op', async () => {
    const { old, states } = replaceByZombieCheck();
    await clock.advanceAsync(1000); // silent while busy, HTTP answers → replaced
    await clock.advanceAsync(250);
    const fresh = server.last();
    expect(fresh).not.toBe(old);
    fresh.open();
    const statesBefore = [...states];
    const pendingBefore = clock.pendingDelays();
    old.finishClose(1006);
    old.drop(1006);
    expect(states).toEqual(statesBefore);
    expect(clock.pendingDelays()).toEqual(pendingBefore);
    expect(server.sockets).toHaveLength(2);
    clock.advance(5_000);
    expect(server.sockets).toHaveLength(2); // no redial was scheduled by the stale close
  });

  it('a late status frame from an already-replaced socket proves nothing', async () => {
    const { old } = replaceByZombieCheck();
    await clock.advanceAsync(1250);
    const fresh = server.last();
    fresh.failHandshake(); // the replacement fails: the backoff starts climbing
    expect(clock.runNext()).toBe(250);
    old.receive(STATUS); // the old socket's greeting arrives late
    server.last().failHandshake();
    expect(clock.runNext()).toBe(500);
  });

  it('a late message or open from an already-replaced socket is a no-op', async () => {
    const { old, messages } = replaceByZombieCheck();
    await clock.advanceAsync(1250);
    const fresh = server.last();
    fresh.open();
    old.receive({ type: 'status', data: { status: { exec_info: { queue_remaining: 9 } } } });
    old.open();
    expect(messages).toEqual([]);
    fresh.receive('{"type":"status"}');
    expect(messages).toEqual(['{"type":"status"}']);
    expect(fresh.sent).toHaveLength(1); // feature_flags once, from its own open only
  });

  it('a socket made by a reconnect owns its close: a second drop reconnects again', () => {
    const { states } = makeSocket();
    for (let drop = 0; drop < 3; drop++) {
      server.last().open();
      server.last().drop();
      expect(states.at(-1)).toBe('reconnecting');
      clock.runNext();
    }
    server.last().open();
    expect(server.sockets).toHaveLength(4);
    expect(states.at(-1)).toBe('connected');
  });
});
