/**
 * While disconnected, the socket asks HTTP whether the server is back and dials the moment it answers,
 * so a restart of any length is noticed within a probe period while WebSocket handshakes stay sparse.
 * A dial made on such a signal that fails disarms the signals until HTTP is unreachable again.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { type BackoffPolicy, defaultBackoff, fixedBackoff } from './backoff';
import { ComfySocket, type ComfySocketOptions, type HandshakeVerdict } from './socket';
import { FakeClock, flushMicrotasks } from './testing/fake-clock';
import { type FakeWebSocket, fakeWebSocketServer } from './testing/fake-websocket';

const STATUS = '{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "c"}}';

let clock: FakeClock;
let server: ReturnType<typeof fakeWebSocketServer>;

/**
 * A scripted ComfyUI: `httpUp` and `wsUp` say whether HTTP answers and whether a handshake is accepted
 * (with the status greeting). Every new socket is answered at once by `serve`.
 */
function world(extra: Partial<ComfySocketOptions> = {}, backoff: BackoffPolicy = defaultBackoff) {
  const w = { httpUp: true, wsUp: true, greet: true, probes: 0 };
  let served = 0;
  const socket = new ComfySocket({
    baseUrl: 'http://127.0.0.1:8188',
    clientId: 'c',
    WebSocket: server.WebSocket,
    clock,
    random: () => 0.5,
    backoff,
    probe: async () => {
      w.probes++;
      return w.httpUp;
    },
    ...extra,
  });
  const opens: number[] = [];
  socket.on('open', () => opens.push(clock.now()));
  const serve = () => {
    for (; served < server.sockets.length; served++) {
      const ws: FakeWebSocket = server.sockets[served]!;
      if (!w.wsUp) {
        ws.failHandshake();
        continue;
      }
      ws.open();
      if (w.greet) ws.receive(STATUS);
    }
  };
  /** Runs timers (and the promises they start) up to `ms` from now, answering every handshake. */
  const run = async (ms: number) => {
    const end = clock.now() + ms;
    for (;;) {
      serve();
      await flushMicrotasks();
      serve();
      const next = clock.pendingDelays()[0];
      if (next === undefined || clock.now() + next > end) break;
      await clock.advanceAsync(next);
    }
    await clock.advanceAsync(end - clock.now());
    serve();
  };
  const down = () => {
    w.httpUp = false;
    w.wsUp = false;
    server.last().drop();
  };
  const up = () => {
    w.httpUp = true;
    w.wsUp = true;
  };
  socket.connect();
  /** ms from `t` to the first open at or after it; Infinity when none. */
  const backAfter = (t: number) => (opens.find((o) => o >= t) ?? Number.POSITIVE_INFINITY) - t;
  return { w, socket, run, down, up, backAfter };
}

beforeEach(() => {
  clock = new FakeClock();
  server = fakeWebSocketServer();
});

describe('ComfySocket reachability probes while disconnected', () => {
  it.each([5_500, 10_000, 25_000])(
    'a %i ms restart: back within one 0.5 s probe period of the server answering',
    async (downMs) => {
      const { run, down, up, backAfter, socket } = world();
      await run(1000);
      down();
      await run(downMs);
      const upAt = clock.now();
      up();
      await run(2000);
      expect(backAfter(upAt)).toBeLessThanOrEqual(500);
      // between the sparse handshakes (about 1 s apart early on, doubling later) the probes did the finding
      expect(socket.stats.reachProbes).toBeGreaterThanOrEqual(Math.floor(downMs / 1000));
      expect(socket.stats.attempts).toBeLessThanOrEqual(1 + 12);
    },
  );

  it('a 120 s outage: at most 20 handshakes, probes every 2 s after the first 30 s, back within 2.5 s', async () => {
    const { run, down, up, backAfter, socket } = world();
    await run(1000);
    const before = { ...socket.stats };
    down();
    await run(30_000);
    const probesFirst30s = socket.stats.reachProbes - before.reachProbes;
    await run(90_000);
    const handshakes = socket.stats.attempts - before.attempts;
    const probesLast90s = socket.stats.reachProbes - before.reachProbes - probesFirst30s;
    const upAt = clock.now();
    up();
    await run(10_000);
    expect(handshakes).toBeLessThanOrEqual(20);
    expect(probesFirst30s).toBeGreaterThanOrEqual(45);
    expect(probesLast90s).toBeLessThanOrEqual(46);
    expect(probesLast90s).toBeGreaterThanOrEqual(30);
    expect(backAfter(upAt)).toBeLessThanOrEqual(2500);
  });

  it('a peer policy without probeDelay never probes (the frontend and SDK policies stay as they are)', async () => {
    const { run, down, socket } = world({}, fixedBackoff(300));
    await run(1000);
    down();
    await run(10_000);
    expect(socket.stats.reachProbes).toBe(0);
    expect(socket.stats.attempts).toBeGreaterThan(30);
  });

  it('HTTP answers but every handshake fails: one dial on the signal, then only the scheduled retries', async () => {
    const { w, run, down, socket } = world();
    await run(1000);
    down();
    w.httpUp = true; // e.g. a proxy that does not pass WebSocket upgrades
    const before = { ...socket.stats };
    await run(120_000);
    const handshakes = socket.stats.attempts - before.attempts;
    const probes = socket.stats.reachProbes - before.reachProbes;
    expect(handshakes).toBeLessThanOrEqual(20);
    // at most one probe per scheduled retry: the answering HTTP is not polled in a loop
    expect(probes).toBeLessThanOrEqual(handshakes);
  });

  it('an accepted handshake closed before status (a dying server) disarms the signal too', async () => {
    const { w, run, down, socket } = world();
    await run(1000);
    down();
    w.httpUp = true;
    w.wsUp = true;
    w.greet = false;
    const dropEveryOpen = socket.on('open', () => server.last().drop());
    const before = socket.stats.attempts;
    await run(60_000);
    dropEveryOpen();
    // the schedule alone (no climbing reset, no dial per probe)
    expect(socket.stats.attempts - before).toBeLessThanOrEqual(15);
  });

  it('HTTP unreachable again re-arms the signal: the next restart is followed at once', async () => {
    const { w, run, down, up, backAfter } = world();
    await run(1000);
    down();
    await run(12_000); // handshakes are now 4, then 8 s apart
    w.httpUp = true; // HTTP answers, WS still refused: the dial on that signal fails, signals disarmed
    await run(2_000);
    w.httpUp = false; // down again; the next scheduled handshake fails and a probe finds HTTP gone
    await run(9_000);
    const upAt = clock.now();
    up();
    await run(2000);
    expect(backAfter(upAt)).toBeLessThanOrEqual(500);
  });

  it.each<[HandshakeVerdict]>([['rejected'], ['auth-required']])(
    'no probes once the doctor says %s: the fix is the user’s',
    async (verdict) => {
      const { w, run, down, socket } = world({ diagnose: async () => verdict });
      await run(1000);
      down();
      w.httpUp = true;
      await run(5000);
      const probes = socket.stats.reachProbes;
      await run(120_000);
      expect(socket.stats.reachProbes).toBe(probes);
    },
  );

  it('serverAnswered dials at once while armed, and not again after that dial failed', async () => {
    const { w, run, socket } = world({}, fixedBackoff(60_000));
    await run(1000);
    w.httpUp = false;
    w.wsUp = false;
    server.last().drop();
    await run(1000);
    const dials = server.sockets.length;
    w.wsUp = false;
    socket.serverAnswered();
    expect(server.sockets).toHaveLength(dials + 1);
    await run(0);
    socket.serverAnswered();
    expect(server.sockets).toHaveLength(dials + 1);
    // an explicit signal (online event, the ComfyUI tab reconnected, a view opened) always dials
    socket.retryNow();
    expect(server.sockets).toHaveLength(dials + 2);
  });

  it('never probes while connected, however long it stays idle', async () => {
    const { run, socket, w } = world();
    await run(60 * 60_000);
    expect(w.probes).toBe(0);
    expect(socket.stats.reachProbes).toBe(0);
    expect(socket.stats.attempts).toBe(1);
  });
});
