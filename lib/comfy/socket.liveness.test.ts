import { beforeEach, describe, expect, it } from 'vitest';
import { ComfySocket, type ComfySocketOptions, type HandshakeVerdict } from './socket';
import { FakeClock } from './testing/fake-clock';
import { fakeWebSocketServer } from './testing/fake-websocket';
import type { ConnectionState } from './types';

let clock: FakeClock;
let server: ReturnType<typeof fakeWebSocketServer>;

function makeSocket(extra: Partial<ComfySocketOptions>) {
  const socket = new ComfySocket({
    baseUrl: 'http://127.0.0.1:8188',
    clientId: 'client-a',
    WebSocket: server.WebSocket,
    clock,
    random: () => 0.5,
    ...extra,
  });
  const states: ConnectionState[] = [];
  socket.on('state', (s) => states.push(s));
  socket.connect();
  return { socket, states };
}

beforeEach(() => {
  clock = new FakeClock();
  server = fakeWebSocketServer();
});

describe('ComfySocket liveness (zombie detection)', () => {
  it('idle silence never probes and never reconnects, however long', async () => {
    let probes = 0;
    const { socket } = makeSocket({
      isBusy: () => false,
      probe: async () => {
        probes++;
        return true;
      },
    });
    server.last().open();
    await clock.advanceAsync(60 * 60_000);
    expect(probes).toBe(0);
    expect(socket.stats.zombies).toBe(0);
    expect(server.sockets).toHaveLength(1);
    expect(server.last().sent.length).toBe(1 + 180); // feature_flags + a keepalive every 20 s
  });

  it('busy and silent for 15 s while HTTP answers: zombie → close and reconnect', async () => {
    const { socket, states } = makeSocket({ isBusy: () => true, probe: async () => true });
    const old = server.last();
    old.open();
    await clock.advanceAsync(14_999);
    expect(socket.stats.probes).toBe(0);
    await clock.advanceAsync(1);
    expect(socket.stats.probes).toBe(1);
    expect(socket.stats.zombies).toBe(1);
    expect(old.closedByClient).toBeDefined();
    expect(states.at(-1)).toBe('reconnecting');
    await clock.advanceAsync(250);
    expect(server.sockets).toHaveLength(2);
    server.last().open();
    expect(server.last().sentJson()[0]).toMatchObject({ type: 'feature_flags' });
    expect(states.at(-1)).toBe('connected');
  });

  it('frames keep a busy socket alive: no probe while they flow', async () => {
    const { socket } = makeSocket({ isBusy: () => true, probe: async () => true });
    server.last().open();
    for (let i = 0; i < 20; i++) {
      await clock.advanceAsync(10_000);
      server.last().receive({ type: 'progress', data: { value: i, max: 20 } });
    }
    expect(socket.stats.probes).toBe(0);
    expect(server.sockets).toHaveLength(1);
  });

  it('busy and silent but HTTP unreachable too: no zombie verdict, checks again later', async () => {
    const { socket } = makeSocket({ isBusy: () => true, probe: async () => false });
    server.last().open();
    await clock.advanceAsync(15_000);
    expect(socket.stats.probes).toBe(1);
    expect(socket.stats.zombies).toBe(0);
    await clock.advanceAsync(15_000);
    expect(socket.stats.probes).toBe(2);
    expect(server.sockets).toHaveLength(1);
  });

  it('a frame arriving while the probe is in flight cancels the verdict', async () => {
    let answer: (v: boolean) => void = () => {};
    const { socket } = makeSocket({
      isBusy: () => true,
      probe: () => new Promise<boolean>((r) => (answer = r)),
    });
    server.last().open();
    await clock.advanceAsync(15_000);
    server.last().receive({ type: 'progress', data: { value: 1, max: 2 } });
    answer(true);
    await clock.advanceAsync(0);
    expect(socket.stats.zombies).toBe(0);
    expect(server.sockets).toHaveLength(1);
  });

  it('consecutive zombie verdicts double the silence allowed, and noteProgress resets it', async () => {
    const { socket } = makeSocket({ isBusy: () => true, probe: async () => true });
    server.last().open();
    await clock.advanceAsync(15_000 + 250);
    server.last().open();
    await clock.advanceAsync(29_999);
    expect(socket.stats.zombies).toBe(1);
    await clock.advanceAsync(1 + 250);
    expect(socket.stats.zombies).toBe(2);
    server.last().open();
    socket.noteProgress();
    await clock.advanceAsync(15_000);
    expect(socket.stats.zombies).toBe(3);
  });
});

describe('ComfySocket handshake diagnosis', () => {
  it.each<[HandshakeVerdict, ConnectionState]>([
    ['rejected', 'rejected'],
    ['auth-required', 'auth-required'],
  ])('after 3 failed handshakes asks HTTP; verdict %s → state %s, slow retries', async (verdict, state) => {
    let asked = 0;
    const { states } = makeSocket({
      diagnose: async () => {
        asked++;
        return verdict;
      },
    });
    for (let i = 0; i < 3; i++) {
      server.last().failHandshake();
      await clock.advanceAsync(i === 2 ? 0 : 2000);
    }
    expect(asked).toBe(1);
    expect(states.at(-1)).toBe(state);
    // keeps retrying in the background, at least 30 s apart, and keeps the state
    for (let i = 0; i < 3; i++) {
      clock.runNext();
      server.last().failHandshake();
      await clock.advanceAsync(0);
      expect(clock.pendingDelays()[0]).toBeGreaterThanOrEqual(30_000);
      expect(states.at(-1)).toBe(state);
    }
    // the user fixes the server: the next handshake opens and the state clears
    clock.runNext();
    server.last().open();
    expect(states.at(-1)).toBe('connected');
  });

  it('no verdict from HTTP: plain backoff, no special state', async () => {
    const { states } = makeSocket({ diagnose: async () => null });
    for (let i = 0; i < 3; i++) {
      server.last().failHandshake();
      await clock.advanceAsync(1200);
    }
    expect(states).not.toContain('rejected');
    expect(clock.pendingDelays()[0]).toBeLessThan(30_000);
  });

  it('never asks after drops of connections that had opened', async () => {
    let asked = 0;
    makeSocket({
      diagnose: async () => {
        asked++;
        return 'rejected';
      },
    });
    for (let i = 0; i < 6; i++) {
      server.last().open();
      server.last().drop();
      await clock.advanceAsync(10_000);
    }
    expect(asked).toBe(0);
  });
});
