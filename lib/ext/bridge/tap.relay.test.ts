import { describe, expect, it, vi } from 'vitest';
import { createRelay, type RelaySend } from './relay';
import {
  attachTap,
  NAME_TTL_MS,
  START_GRACE_MS,
  TAP_SOURCE,
  type TapMessage,
  type TapWindow,
  WORKFLOW_FRAME,
  WORKFLOW_NAME_MAX,
} from './tap';

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

  describe('workflow names', () => {
    /** A tab with the frontend's workspace store, its active workflow named `name`. */
    function tabWith(name: string | undefined) {
      const f = fakeWindow();
      const api = new EventTarget();
      const workspace = { workflow: { activeWorkflow: name === undefined ? null : { filename: name } } };
      f.win.app = { api, extensionManager: workspace };
      let clock = 0;
      attachTap(f.win, { now: () => clock });
      const names = () => {
        f.runTimers();
        return f.posted
          .flatMap((m) => ('frames' in m ? m.frames : []))
          .filter((fr) => fr.type === WORKFLOW_FRAME);
      };
      return {
        api,
        names,
        open: (n: string) => {
          workspace.workflow.activeWorkflow = { filename: n };
        },
        advance: (ms: number) => {
          clock += ms;
        },
      };
    }
    const start = (api: EventTarget, id: string) =>
      api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: id, timestamp: 1 } }));

    it('names the prompts a promptQueued lists (newer frontends) with the workflow open when it fired', () => {
      const t = tabWith('Portraits v2');
      t.api.dispatchEvent(
        new CustomEvent('promptQueued', { detail: { number: 0, batchCount: 2, promptIds: ['a', 'b', 7] } }),
      );
      t.open('Other');
      start(t.api, 'a');
      expect(t.names()).toEqual([
        { type: WORKFLOW_FRAME, data: { prompt_id: 'a', name: 'Portraits v2' } },
        { type: WORKFLOW_FRAME, data: { prompt_id: 'b', name: 'Portraits v2' } },
      ]);
    });

    it('without ids, gives each prompt that starts the oldest waiting name, once', () => {
      const t = tabWith('First');
      t.api.dispatchEvent(
        new CustomEvent('promptQueued', { detail: { number: 0, batchCount: 2, requestId: 1 } }),
      );
      t.open('  Second  ');
      t.api.dispatchEvent(
        new CustomEvent('promptQueued', { detail: { number: 1, batchCount: 1, requestId: 2 } }),
      );
      t.open('Third');
      for (const id of ['p1', 'p1', 'p2', 'p3', 'p4']) start(t.api, id);
      expect(t.names().map((f) => f.data)).toEqual([
        { prompt_id: 'p1', name: 'First' },
        { prompt_id: 'p2', name: 'First' },
        { prompt_id: 'p3', name: 'Second' },
      ]);
    });

    it('names a prompt that started before its queue request returned (a whole batch, too)', () => {
      const t = tabWith('Fast');
      start(t.api, 'early');
      t.advance(START_GRACE_MS + 1);
      start(t.api, 'b1');
      start(t.api, 'b2');
      t.api.dispatchEvent(new CustomEvent('promptQueued', { detail: { number: 0, batchCount: 3 } }));
      start(t.api, 'b3');
      expect(t.names().map((f) => f.data)).toEqual([
        { prompt_id: 'b1', name: 'Fast' },
        { prompt_id: 'b2', name: 'Fast' },
        { prompt_id: 'b3', name: 'Fast' },
      ]);
    });

    it('drops names no prompt claimed in time, and names nothing without an open workflow', () => {
      const t = tabWith('Stale');
      t.api.dispatchEvent(new CustomEvent('promptQueued', { detail: { number: 0, batchCount: 1 } }));
      t.advance(NAME_TTL_MS + 1);
      start(t.api, 'late');
      const none = tabWith(undefined);
      none.api.dispatchEvent(new CustomEvent('promptQueued', { detail: { number: 0, batchCount: 1 } }));
      start(none.api, 'x');
      expect([...t.names(), ...none.names()]).toEqual([]);
    });

    it('caps a long name', () => {
      const t = tabWith('n'.repeat(1000));
      t.api.dispatchEvent(new CustomEvent('promptQueued', { detail: { promptIds: ['a'] } }));
      expect((t.names()[0]!.data as { name: string }).name).toHaveLength(WORKFLOW_NAME_MAX);
    });
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
    const frames = [
      { type: 'progress', data: { value: 1, max: 2, prompt_id: 'p' } },
      { type: WORKFLOW_FRAME, data: { prompt_id: 'p', name: 'Portraits' } },
    ];
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
