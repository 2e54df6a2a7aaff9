import { describe, expect, it } from 'vitest';
import { createDispatcher, createSender } from './messaging';

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

  it('turns an { error } answer into a thrown error on the sending side', async () => {
    const send = createSender(async (m) => (m.type === 'bg:refresh' ? { ok: true } : { error: 'boom' }));
    await expect(send('bg:refresh', {})).resolves.toEqual({ ok: true });
    await expect(send('bg:removeServer', { id: 'x' })).rejects.toThrow('boom');
  });
});
