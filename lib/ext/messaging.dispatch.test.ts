import { describe, expect, it } from 'vitest';
import { createDispatcher, createSender, type MessageSender } from './messaging';
import { senderPolicy } from './sender-policy';

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

  it('turns an { error } answer into a thrown error on the sending side', async () => {
    const send = createSender(async (m) => (m.type === 'bg:refresh' ? { ok: true } : { error: 'boom' }));
    await expect(send('bg:refresh', {})).resolves.toEqual({ ok: true });
    await expect(send('bg:removeServer', { id: 'x' })).rejects.toThrow('boom');
  });
});
