import { describe, expect, it, vi } from 'vitest';
import { createRelay, type RelaySend } from './relay';
import { attachTap, TAP_SOURCE, type TapMessage, type TapWindow } from './tap';

function fakeWindow() {
  const posted: TapMessage[] = [];
  const timers: (() => void)[] = [];
  const win: TapWindow = {
    location: { origin: 'http://127.0.0.1:8188' },
    postMessage: (m) => posted.push(m as TapMessage),
    setTimeout: (fn) => timers.push(fn),
  };
  const runTimers = () => {
    while (timers.length) timers.shift()!();
  };
  return { win, posted, runTimers };
}

describe('tab tap', () => {
  it('waits for the frontend api, then relays wire-shaped job events in batches, to its own origin only', () => {
    const { win, posted, runTimers } = fakeWindow();
    const postSpy = vi.spyOn(win, 'postMessage');
    attachTap(win, { pollMs: 10, waitMs: 1000 });
    const api = new EventTarget();
    win.app = { api };
    runTimers();
    api.dispatchEvent(
      new CustomEvent('progress', { detail: { value: 1, max: 4, prompt_id: 'p', node: '2' } }),
    );
    api.dispatchEvent(new CustomEvent('executing', { detail: '2' }));
    api.dispatchEvent(new CustomEvent('execution_success', { detail: { prompt_id: 'p' } }));
    api.dispatchEvent(new CustomEvent('progress', { detail: 'not a frame' }));
    runTimers();
    expect(posted).toEqual([
      {
        source: TAP_SOURCE,
        frames: [
          { type: 'progress', data: { value: 1, max: 4, prompt_id: 'p', node: '2' } },
          { type: 'execution_success', data: { prompt_id: 'p' } },
        ],
      },
    ]);
    expect(postSpy).toHaveBeenCalledWith(expect.anything(), 'http://127.0.0.1:8188');
  });

  it('relays only the newest live preview of a burst, base64-encoded, with its prompt id', async () => {
    const { win, posted, runTimers } = fakeWindow();
    const api = new EventTarget();
    win.app = { api };
    attachTap(win);
    const preview = (bytes: number[]) =>
      api.dispatchEvent(
        new CustomEvent('b_preview_with_metadata', {
          detail: {
            blob: new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }),
            nodeId: '2',
            jobId: 'p',
          },
        }),
      );
    preview([1]);
    preview([1, 2, 3]);
    api.dispatchEvent(new CustomEvent('b_preview_with_metadata', { detail: { blob: 'x', jobId: 'p' } }));
    await new Promise((r) => setTimeout(r, 10));
    runTimers();
    expect(posted).toHaveLength(1);
    expect((posted[0] as Extract<TapMessage, { frames: unknown }>).frames).toEqual([
      {
        type: 'preview',
        data: { prompt_id: 'p', node_id: '2', display_node_id: undefined, mime: 'image/jpeg', image: 'AQID' },
      },
    ]);
  });

  it("relays the frontend's `reconnected` at once, unbatched: the server is back", () => {
    const { win, posted } = fakeWindow();
    const api = new EventTarget();
    win.app = { api };
    attachTap(win);
    api.dispatchEvent(new CustomEvent('reconnecting'));
    api.dispatchEvent(new CustomEvent('reconnected'));
    // no timer ran: the signal is not held for the next frame batch
    expect(posted).toEqual([{ source: TAP_SOURCE, reconnected: true }]);
  });

  it('gives up quietly on a page that never gets a ComfyUI api', () => {
    const { win, posted, runTimers } = fakeWindow();
    attachTap(win, { pollMs: 10, waitMs: 50 });
    runTimers();
    expect(posted).toEqual([]);
  });
});

describe('tab relay', () => {
  function relayOn() {
    const target = new EventTarget();
    const sent: [string, unknown][] = [];
    const send: RelaySend = async (type, payload) => {
      sent.push([type, payload]);
      return { ok: true, applied: 1 };
    };
    createRelay(target as unknown as Window, send);
    const deliver = (data: unknown, source: unknown = target) => {
      const e = new MessageEvent('message', { data });
      Object.defineProperty(e, 'source', { value: source });
      target.dispatchEvent(e);
    };
    return { sent, deliver };
  }

  it('forwards valid tap frames from its own window only, as engine:tabFrames', () => {
    const { sent, deliver } = relayOn();
    const frames = [{ type: 'progress', data: { value: 1, max: 2, prompt_id: 'p' } }];
    deliver({ source: TAP_SOURCE, frames });
    deliver({ source: TAP_SOURCE, frames }, {});
    deliver({ source: 'someone-else', frames });
    deliver({ source: TAP_SOURCE, frames: [{ type: 'status', data: {} }] });
    deliver({ source: TAP_SOURCE, frames: [{ type: 'progress', data: 'x' }] });
    deliver({ source: TAP_SOURCE, frames: Array.from({ length: 501 }, () => frames[0]) });
    expect(sent).toEqual([['engine:tabFrames', { frames }]]);
  });

  it.each([
    [{ source: TAP_SOURCE, reconnected: true }, [['engine:tabReconnected', {}]]],
    [{ source: TAP_SOURCE, reconnected: 'yes' }, []],
    [{ source: 'someone-else', reconnected: true }, []],
    [{ source: TAP_SOURCE, frames: [] }, []],
  ])('relays the reconnected signal %o → %o', (message, expected) => {
    const { sent, deliver } = relayOn();
    deliver(message);
    expect(sent).toEqual(expected);
  });

  it('a page posting the signal as another window changes nothing', () => {
    const { sent, deliver } = relayOn();
    deliver({ source: TAP_SOURCE, reconnected: true }, {});
    expect(sent).toEqual([]);
  });
});
