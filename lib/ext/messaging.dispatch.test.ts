import { describe, expect, it } from 'vitest';
import { type BackgroundApis, offscreenEngineLink } from './background/setup';
import { createDispatcher, type MessageSender } from './messaging';
import { createUiSender } from './ui/messaging';

describe('typed messaging', () => {
  const listener = createDispatcher('bg:', {
    'bg:refresh': async (req) => ({ ok: req.serverId === 'a' }),
    'bg:removeServer': () => {
      throw new Error('nope');
    },
  });
  const call = (message: unknown) =>
    new Promise((resolve) => {
      const kept = listener(message, {}, resolve);
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
    const engine = createDispatcher('engine:', {
      'engine:refresh': () => ({ ok: true }),
      'engine:cancelJob': () => {
        throw new Error('no such server');
      },
    });
    const link = offscreenEngineLink({ runtime: runtimeDelivering(engine) });
    await expect(link.call('engine:refresh', {})).resolves.toEqual({ ok: true });
    await expect(link.call('engine:cancelJob', { serverId: 's', promptId: 'p' })).rejects.toThrow(
      new Error('no such server'),
    );
  });
});

type Listener = (m: unknown, s: MessageSender, r: (x: unknown) => void) => true | undefined;

/** `runtime.sendMessage` into one listener: its answer, or undefined when it does not keep the channel. */
function deliver(listener: Listener, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    if (listener(message, {}, resolve) !== true) resolve(undefined);
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
