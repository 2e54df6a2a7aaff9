import { describe, expect, it } from 'vitest';
import type { Handlers } from '../messaging';
import { directNotices, inProcessEngineLink } from './setup';

describe('in-process engine link (Firefox)', () => {
  it('calls the engine handler directly and answers with its result', async () => {
    const seen: unknown[] = [];
    const link = inProcessEngineLink({
      'engine:cancelJob': async (req) => {
        seen.push(req);
        return { ok: true, method: 'delete' };
      },
    });
    expect(await link.ensure()).toBe(true);
    expect(await link.call('engine:cancelJob', { serverId: 's', promptId: 'p' })).toEqual({
      ok: true,
      method: 'delete',
    });
    expect(seen).toEqual([{ serverId: 's', promptId: 'p' }]);
  });

  it('rejects a type the engine has no handler for', async () => {
    await expect(inProcessEngineLink({}).call('engine:refresh', {})).rejects.toThrow(
      'no engine handler for engine:refresh',
    );
  });
});

describe('direct notices', () => {
  it('reach the worker handler present at delivery, and nothing before the worker exists', async () => {
    let handlers: Handlers<'bg:'> | undefined;
    const got: unknown[] = [];
    const notify = directNotices(() => handlers);
    expect(await notify({ type: 'bg:jobFinished', payload: { jobKey: 'early' } })).toBeUndefined();
    handlers = {
      'bg:jobFinished': async (req) => {
        got.push(req);
        return { ok: true };
      },
    };
    expect(await notify({ type: 'bg:jobFinished', payload: { jobKey: 's:p' } })).toEqual({ ok: true });
    expect(got).toEqual([{ jobKey: 's:p' }]);
  });
});
