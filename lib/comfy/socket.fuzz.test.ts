import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComfySocket } from './socket';
import { FakeClock } from './testing/fake-clock';
import { CLOSING, CONNECTING, type FakeWebSocket, fakeWebSocketServer, OPEN } from './testing/fake-websocket';

type Action =
  | { kind: 'open' | 'drop' | 'fail' | 'finishClose' | 'message'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'retryNow' }
  | { kind: 'busy'; on: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('open', 'drop', 'fail', 'finishClose', 'message'), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ kind: fc.constant('retryNow') }),
  fc.record({ kind: fc.constant('busy'), on: fc.boolean() }),
) as fc.Arbitrary<Action>;

/** Sockets the client still owns: not closed by the server and not given up by the client. */
const live = (sockets: FakeWebSocket[]) =>
  sockets.filter(
    (s) => (s.readyState === CONNECTING || s.readyState === OPEN) && s.closedByClient === undefined,
  );

describe('ComfySocket under arbitrary event orders (late, duplicated, stale)', () => {
  it('keeps one live socket at most, never gives up, and sends feature_flags first on every connection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 80 }), fc.boolean(), async (actions, probeAnswers) => {
        const clock = new FakeClock();
        const server = fakeWebSocketServer();
        let busy = false;
        const socket = new ComfySocket({
          baseUrl: 'http://127.0.0.1:8188',
          clientId: 'fuzz',
          WebSocket: server.WebSocket,
          clock,
          random: () => 0.5,
          isBusy: () => busy,
          probe: async () => probeAnswers,
        });
        socket.connect();
        for (const a of actions) {
          const among = (states: number[]) => server.sockets.filter((s) => states.includes(s.readyState));
          const choose = (list: FakeWebSocket[]) =>
            a.kind !== 'advance' && 'pick' in a ? list[a.pick % list.length] : undefined;
          switch (a.kind) {
            case 'open':
              choose(among([CONNECTING]))?.open();
              break;
            case 'fail':
              choose(among([CONNECTING]))?.failHandshake();
              break;
            case 'drop':
              choose(among([CONNECTING, OPEN, CLOSING]))?.drop();
              break;
            case 'finishClose':
              choose(among([CLOSING]))?.finishClose();
              break;
            case 'message':
              choose(among([OPEN]))?.receive(
                '{"type":"status","data":{"status":{"exec_info":{"queue_remaining":1}}}}',
              );
              break;
            case 'advance':
              await clock.advanceAsync(a.ms);
              break;
            case 'retryNow':
              socket.retryNow();
              break;
            case 'busy':
              busy = a.on;
              break;
          }
          const owned = live(server.sockets);
          expect(owned.length).toBeLessThanOrEqual(1);
          // never gives up: either a connection is owned or a retry is scheduled
          if (owned.length === 0) expect(clock.pending).toBeGreaterThan(0);
          expect(socket.state === 'connected').toBe(owned[0]?.readyState === OPEN);
        }
        for (const s of server.sockets) {
          const sent = s.sentJson() as { type: string }[];
          if (sent.length > 0)
            expect(sent[0]).toEqual({ type: 'feature_flags', data: { supports_preview_metadata: true } });
          expect(sent.slice(1).every((m) => m.type === 'keepalive')).toBe(true);
        }
        socket.close();
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
