import { describe, expect, it } from 'vitest';
import { createUiSender } from './messaging';

describe('UI message sender', () => {
  it('sends the typed envelope and returns the answer', async () => {
    const seen: unknown[] = [];
    const send = createUiSender(async (m) => {
      seen.push(m);
      return { ok: true, method: 'delete' };
    });
    await expect(send('bg:cancelJob', { serverId: 's', promptId: 'p' })).resolves.toEqual({
      ok: true,
      method: 'delete',
    });
    expect(seen).toEqual([{ type: 'bg:cancelJob', payload: { serverId: 's', promptId: 'p' } }]);
  });

  it('turns a background { error } answer into a thrown Error', async () => {
    const send = createUiSender(async () => ({ error: 'engine not ready' }));
    await expect(send('bg:refresh', {})).rejects.toThrow('engine not ready');
  });

  it('keeps an answer that merely has an error field among others', async () => {
    const send = createUiSender(async () => ({ ok: false, error: 'duplicate' }));
    await expect(send('bg:saveServer', { name: 'n', url: 'http://x' })).resolves.toEqual({
      ok: false,
      error: 'duplicate',
    });
  });
});
