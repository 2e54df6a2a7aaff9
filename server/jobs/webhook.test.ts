import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/comfy/testing/fake-clock';
import { deliverWebhook } from './webhook';

async function run(answers: (number | 'network')[], attempts = 4) {
  const clock = new FakeClock();
  const calls: number[] = [];
  const done = deliverWebhook({
    url: 'http://hook.test/x',
    body: { event: 'job.finished' },
    attempts,
    clock,
    send: async () => {
      calls.push(clock.now());
      const a = answers.shift() ?? 200;
      if (a === 'network') throw new TypeError('fetch failed');
      return { status: a, retryAfter: null };
    },
  });
  // Let each retry timer fire as soon as the previous attempt has settled.
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setImmediate(r));
    clock.runNext();
  }
  const start = calls[0] ?? 0;
  return { outcome: await done, waits: calls.map((t) => t - start) };
}

describe('webhook delivery', () => {
  it('retries network errors and 5xx with doubling waits, then delivers', async () => {
    expect(await run(['network', 503, 200])).toEqual({ outcome: 'delivered', waits: [0, 1000, 3000] });
  });

  it('gives up after the configured attempts with the last reason', async () => {
    expect(await run([500, 502, 503, 504], 4)).toEqual({
      outcome: 'failed: HTTP 504',
      waits: [0, 1000, 3000, 7000],
    });
  });

  it('does not retry a refusal (4xx other than 408/429)', async () => {
    expect(await run([404])).toEqual({ outcome: 'failed: HTTP 404', waits: [0] });
  });

  it('retries 429', async () => {
    expect((await run([429, 200])).outcome).toBe('delivered');
  });
});
