import { describe, expect, it } from 'vitest';
import { type CancelHttp, type CancelResult, cancelExactly } from './cancel';

const ME = 'me';
const OTHER = 'other';

/** A recording stand-in for the four requests a cancel may make. */
function fakeHttp(server: { endpoint: boolean | undefined; running: string[]; pending: string[] }) {
  const calls: string[] = [];
  const item = (promptId: string, number: number) => ({ promptId, number });
  const http: CancelHttp = {
    async cancelJob(id) {
      calls.push(`cancelJob ${id}`);
      return server.endpoint;
    },
    async queue() {
      calls.push('queue');
      return { running: server.running.map(item), pending: server.pending.map(item) };
    },
    async interrupt(id) {
      calls.push(`interrupt ${id}`);
    },
    async deletePending(ids) {
      calls.push(`delete ${ids.join(',')}`);
    },
  };
  return { http, calls };
}

const cases: {
  name: string;
  endpoint: boolean | undefined;
  running: string[];
  pending: string[];
  result: CancelResult;
  calls: string[];
}[] = [
  {
    name: 'atomic endpoint cancels: nothing else is asked',
    endpoint: true,
    running: [ME],
    pending: [],
    result: { cancelled: true, method: 'jobs-cancel' },
    calls: [`cancelJob ${ME}`],
  },
  {
    name: 'atomic endpoint refuses: no fallback to interrupt or delete',
    endpoint: false,
    running: [ME],
    pending: [ME],
    result: { cancelled: false, reason: 'refused' },
    calls: [`cancelJob ${ME}`],
  },
  {
    name: 'no endpoint, job running: interrupt with its id after /queue confirmed it',
    endpoint: undefined,
    running: [ME],
    pending: [OTHER],
    result: { cancelled: true, method: 'interrupt' },
    calls: [`cancelJob ${ME}`, 'queue', `interrupt ${ME}`],
  },
  {
    name: 'no endpoint, job pending while another runs: delete only this id, never interrupt',
    endpoint: undefined,
    running: [OTHER],
    pending: [OTHER, ME],
    result: { cancelled: true, method: 'delete' },
    calls: [`cancelJob ${ME}`, 'queue', `delete ${ME}`],
  },
  {
    name: 'no endpoint, job in neither list: nothing is sent after /queue',
    endpoint: undefined,
    running: [OTHER],
    pending: [OTHER],
    result: { cancelled: false, reason: 'absent' },
    calls: [`cancelJob ${ME}`, 'queue'],
  },
];

describe('cancelExactly', () => {
  it.each(cases)('$name', async ({ endpoint, running, pending, result, calls }) => {
    const fake = fakeHttp({ endpoint, running, pending });
    expect(await cancelExactly(fake.http, ME)).toEqual(result);
    expect(fake.calls).toEqual(calls);
  });

  it('a failing request rejects (the caller decides what to show)', async () => {
    const { http } = fakeHttp({ endpoint: undefined, running: [ME], pending: [] });
    http.interrupt = async () => {
      throw new Error('boom');
    };
    await expect(cancelExactly(http, ME)).rejects.toThrow('boom');
  });
});
