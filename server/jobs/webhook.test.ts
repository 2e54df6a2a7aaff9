import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/comfy/testing/fake-clock';
import { deliverWebhook } from './webhook';
import { WebhookRefused } from './webhook-guard';

async function run(answers: (number | 'network' | [number, string])[], attempts = 4) {
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
      if (Array.isArray(a)) return { status: a[0], retryAfter: a[1] };
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

  it.each([
    ['seconds', [429, '30'] as [number, string], 30_000],
    // FakeClock starts at 1_700_000_000_000.
    ['an HTTP date', [503, new Date(1_700_000_045_000).toUTCString()] as [number, string], 45_000],
  ])('waits as long as the receiver’s Retry-After in %s asks', async (_n, answer, expected) => {
    const { outcome, waits } = await run([answer, 200]);
    expect(outcome).toBe('delivered');
    expect(waits[1]).toBeGreaterThanOrEqual(expected - 1000);
    expect(waits[1]).toBeLessThanOrEqual(expected);
  });

  it('never retries a destination the policy refuses', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const outcome = await deliverWebhook({
      url: 'http://169.254.169.254/',
      body: {},
      attempts: 4,
      clock,
      send: async () => {
        calls++;
        throw new WebhookRefused('169.254.169.254 is a linkLocal address');
      },
    });
    expect(outcome).toBe('failed: refused: 169.254.169.254 is a linkLocal address');
    expect(calls).toBe(1);
  });
});
