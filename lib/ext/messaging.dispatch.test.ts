import { describe, expect, it } from 'vitest';
import { type BackgroundApis, offscreenEngineLink } from './background/setup';
import { createDispatcher, type MessageSender } from './messaging';
import { senderPolicy } from './sender-policy';
import { createUiSender } from './ui/messaging';

const BASE = 'chrome-extension://extid/';
const PAGE: MessageSender = { url: `${BASE}popup.html` };

describe('typed messaging', () => {
  const refused: string[] = [];
  const listener = createDispatcher(
    'bg:',
    {
      'bg:refresh': async (req) => ({ ok: req.serverId === 'a' }),
      'bg:removeServer': () => {
        throw new Error('nope');
      },
    },
    {
      accept: senderPolicy({ extensionBase: BASE }),
      onRefused: (type, s) => refused.push(`${type} ${s.url}`),
    },
  );
  const call = (message: unknown, sender: MessageSender = PAGE) =>
    new Promise((resolve) => {
      const kept = listener(message, sender, resolve);
      if (kept !== true) resolve('not mine');
    });

  it.each([
    [{ type: 'bg:refresh', payload: { serverId: 'a' } }, { ok: true }],
    [{ type: 'bg:removeServer', payload: { id: 'x' } }, { error: 'nope' }],
    [{ type: 'engine:refresh', payload: {} }, 'not mine'],
    [{ type: 'bg:cancelJob', payload: {} }, 'not mine'],
    ['garbage', 'not mine'],
    [{ payload: {} }, 'not mine'],
  ])('%o → %o', async (message, expected) => {
    expect(await call(message)).toEqual(expected);
  });

  it("a page (popup, side panel, tab bridge) gets a handler's failure as a thrown Error", async () => {
    const send = createUiSender((m) => deliver(listener, m));
    await expect(send('bg:refresh', { serverId: 'a' })).resolves.toEqual({ ok: true });
    await expect(send('bg:removeServer', { id: 'x' })).rejects.toThrow(new Error('nope'));
  });

  it("the worker gets an offscreen engine handler's failure as a thrown Error, not as a result", async () => {
    const engine = createDispatcher(
      'engine:',
      {
        'engine:refresh': () => ({ ok: true }),
        'engine:cancelJob': () => {
          throw new Error('no such server');
        },
      },
      { accept: senderPolicy({ extensionBase: BASE }) },
    );
    const link = offscreenEngineLink({ runtime: runtimeDelivering(engine) });
    await expect(link.call('engine:refresh', {})).resolves.toEqual({ ok: true });
    await expect(link.call('engine:cancelJob', { serverId: 's', promptId: 'p' })).rejects.toThrow(
      new Error('no such server'),
    );
  });

  it('never answers, nor runs the handler for, a sender its policy refuses', async () => {
    let ran = 0;
    const guarded = createDispatcher(
      'bg:',
      {
        'bg:refresh': () => {
          ran++;
          return { ok: true };
        },
      },
      { accept: senderPolicy({ extensionBase: BASE }) },
    );
    const answered: unknown[] = [];
    const kept = guarded(
      { type: 'bg:refresh', payload: {} },
      { url: 'http://127.0.0.1:9000/', tab: { id: 1 } },
      (r) => answered.push(r),
    );
    await new Promise((r) => setTimeout(r, 5));
    expect([kept, ran, answered]).toEqual([undefined, 0, []]);
    expect(
      await call({ type: 'bg:refresh', payload: { serverId: 'a' } }, { url: 'https://evil.example/' }),
    ).toBe('not mine');
    expect(refused).toEqual(['bg:refresh https://evil.example/']);
  });
});

type Listener = (m: unknown, s: MessageSender, r: (x: unknown) => void) => true | undefined;

/** `runtime.sendMessage` into one listener: its answer, or undefined when it does not keep the channel. */
function deliver(listener: Listener, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    if (listener(message, PAGE, resolve) !== true) resolve(undefined);
  });
}

function runtimeDelivering(listener: Listener): BackgroundApis['runtime'] {
  return {
    id: 'extid',
    getURL: (p) => `chrome-extension://extid/${p}`,
    sendMessage: (m) => deliver(listener, m),
    onMessage: { addListener: () => undefined },
    onInstalled: { addListener: () => undefined },
    onStartup: { addListener: () => undefined },
  };
}
