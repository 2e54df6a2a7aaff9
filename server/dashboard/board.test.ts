// @vitest-environment happy-dom
// The board's flow against fakes of fetch and EventSource, on the served markup: sign-in, lists loaded
// once the stream is subscribed, live updates, the filters (requests, URL, what stays shown), answers
// that arrive after the filters changed, the stats refresh, and an ended session.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobDto, NodeClassStat, ServerSeen } from '../repo/jobs';
import { makeJobDto } from '../testing/job-dto';
import { Board, type BoardDeps, type EventSourceLike, HISTORY_SIZE, RETRY_MS, STATS_DELAY_MS } from './board';
import { DASHBOARD_BODY } from './page';

class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  readyState = 0;
  closed = false;
  private readonly listeners = new Map<string, ((ev: Event) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (ev: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data = '{}'): void {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data }));
  }
  job(j: JobDto): void {
    this.emit('job', JSON.stringify(j));
  }
}

interface Api {
  session: number;
  jobs: (q: URLSearchParams) => JobDto[];
  classes: NodeClassStat[];
  servers: ServerSeen[];
  /** Held answers: a request whose path starts with a key waits for the promise. */
  hold: Map<string, Promise<void>>;
}

const NOW = 1_767_225_600_000 + 3_600_000;
const seen = (server: string): ServerSeen => ({ server, jobs: 1, active: 0, lastAt: NOW });

function setup(search = '') {
  document.body.innerHTML = DASHBOARD_BODY;
  FakeEventSource.all = [];
  const requests: string[] = [];
  const api: Api = {
    session: 200,
    jobs: () => [],
    classes: [],
    servers: [seen('local'), seen('gpu')],
    hold: new Map(),
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = String(input);
    const method = init?.method ?? 'GET';
    requests.push(`${method} ${path}`);
    for (const [prefix, p] of api.hold) if (path.startsWith(prefix)) await p;
    const url = new URL(path, 'http://dash');
    if (url.pathname === '/v1/session') {
      if (method === 'POST') {
        const { token } = JSON.parse(String(init?.body));
        return token === 'good'
          ? json({ name: 'dashboard' })
          : json({ error: { message: 'This API key lacks the "read" scope' } }, 403);
      }
      return json({}, method === 'DELETE' ? 200 : api.session);
    }
    if (url.pathname === '/v1/jobs') return json({ jobs: api.jobs(url.searchParams), nextCursor: null });
    if (url.pathname === '/v1/stats/nodes') return json({ classes: api.classes });
    if (url.pathname === '/v1/stats/servers') return json({ servers: api.servers });
    return json({ error: {} }, 404);
  });
  const location = { search, pathname: '/', reload: vi.fn() };
  const history = {
    replaceState: vi.fn((_d: unknown, _u: string, url: string) => {
      location.search = url.includes('?') ? url.slice(url.indexOf('?')) : '';
    }),
  };
  const deps: BoardDeps = {
    doc: document,
    fetch: fetch as unknown as typeof globalThis.fetch,
    EventSource: FakeEventSource,
    now: () => NOW,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as number),
    setInterval: (fn, ms) => setInterval(fn, ms),
    location,
    history,
  };
  const board = new Board(deps);
  const stream = () => FakeEventSource.all.at(-1)!;
  const $ = (id: string) => document.getElementById(id)!;
  const rows = () =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="history-row"]')].map((r) => r.dataset.promptId);
  const cards = () =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="active-job"]')].map((r) => r.dataset.promptId);
  const select = (id: string, value: string) => {
    const s = $(id) as HTMLSelectElement;
    s.value = value;
    s.dispatchEvent(new Event('change'));
  };
  return { board, api, requests, fetch, history, location, stream, $, rows, cards, select };
}

/** Lets pending promise callbacks (fake fetch answers) run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('signing in', () => {
  it('shows the sign-in form without a session, says why a key is refused, and opens with a good one', async () => {
    const t = setup();
    t.api.session = 401;
    await t.board.start();
    expect(t.$('login').hidden).toBe(false);
    expect(t.$('board').hidden).toBe(true);
    expect(FakeEventSource.all).toHaveLength(0);

    const token = t.$('token') as HTMLInputElement;
    token.value = 'ingest-only';
    t.$('login').dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(t.$('login-error').textContent).toBe('This API key lacks the "read" scope');
    expect(token.value).toBe('');

    token.value = ' good ';
    t.$('login').dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(t.fetch).toHaveBeenCalledWith(
      '/v1/session',
      expect.objectContaining({ body: '{"token":"good"}' }),
    );
    expect(t.$('login').hidden).toBe(true);
    expect(t.$('board').hidden).toBe(false);
    expect(t.stream().url).toBe('/v1/stream');
  });

  it('goes back to the sign-in form when the stream is refused because the session ended', async () => {
    const t = setup();
    await t.board.start();
    t.api.session = 401;
    t.stream().readyState = 2;
    t.stream().emit('error');
    await settle();
    expect(t.$('login').hidden).toBe(false);
    expect(t.$('login-error').textContent).toBe('Your session has ended; sign in again.');
  });

  it('retries a refused stream later while the session is still good', async () => {
    const t = setup();
    await t.board.start();
    const first = t.stream();
    first.readyState = 2;
    first.emit('error');
    await settle();
    expect(t.$('live').dataset.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(t.stream()).not.toBe(first);
    t.stream().emit('ready');
    expect(t.$('live').dataset.state).toBe('live');
  });
});

describe('lists and live updates', () => {
  it('loads the lists only once the stream is subscribed, then follows it', async () => {
    const t = setup();
    const done = makeJobDto({ workflowName: 'Portraits' });
    t.api.jobs = (q) => (q.get('status')?.includes('success') ? [done] : []);
    await t.board.start();
    expect(t.requests.filter((r) => r.startsWith('GET /v1/jobs'))).toEqual([]);
    t.stream().emit('ready');
    await settle();
    expect(t.requests).toContain('GET /v1/jobs?status=pending%2Crunning&limit=100');
    expect(t.requests).toContain(
      `GET /v1/jobs?status=success%2Cerror%2Clost%2Crejected%2Cinterrupted%2Ccancelled&limit=${HISTORY_SIZE}`,
    );
    expect(t.rows()).toEqual([done.promptId]);
    expect(t.$('live').textContent).toBe('live');

    const run = makeJobDto({ status: 'running', progress: 0.4, endedAt: null, rev: 100 });
    t.stream().job(run);
    expect(t.cards()).toEqual([run.promptId]);
    expect(t.$('active-count').textContent).toBe('1');
    // An older version arriving late changes nothing.
    t.stream().job({ ...run, progress: 0.1, rev: 99 });
    expect(document.querySelector('[role="progressbar"]')!.getAttribute('aria-valuenow')).toBe('40');
    t.stream().job({ ...run, status: 'success', progress: 1, rev: 101 });
    expect(t.cards()).toEqual([]);
    expect(t.rows()).toContain(run.promptId);
    expect(t.$('no-active').hidden).toBe(false);
    // A reconnect of the same stream (ready again) does not load the lists twice.
    const loads = t.requests.length;
    t.stream().emit('ready');
    await settle();
    expect(t.requests.length).toBe(loads);
  });

  it('keeps at most HISTORY_SIZE finished jobs, newest first', async () => {
    const t = setup();
    await t.board.start();
    t.stream().emit('ready');
    await settle();
    const jobs = Array.from({ length: HISTORY_SIZE + 5 }, () => makeJobDto());
    for (const j of jobs) t.stream().job(j);
    expect(t.rows()).toEqual(
      jobs
        .slice(-HISTORY_SIZE)
        .reverse()
        .map((j) => j.promptId),
    );
  });

  it('re-reads the stats a little after jobs end (one request for a burst)', async () => {
    const t = setup();
    await t.board.start();
    t.stream().emit('ready');
    await settle();
    const statsRequests = () => t.requests.filter((r) => r.startsWith('GET /v1/stats/nodes')).length;
    expect(statsRequests()).toBe(1);
    t.api.classes = [
      {
        classType: 'KSampler',
        runs: 1,
        cachedRuns: 0,
        totalMs: 1,
        avgMs: 1,
        medianMs: 1,
        maxMs: 1,
        slowest: [],
      },
    ];
    for (const j of [makeJobDto(), makeJobDto()]) {
      t.stream().job({ ...j, status: 'running', rev: 1 });
      t.stream().job({ ...j, rev: 2 });
    }
    await vi.advanceTimersByTimeAsync(STATS_DELAY_MS);
    expect(statsRequests()).toBe(2);
    expect(document.querySelectorAll('[data-testid="node-stat"]')).toHaveLength(1);
    expect(t.$('no-stats').hidden).toBe(true);
  });
});

describe('filters', () => {
  it('lists the servers seen, and narrows lists, stream, stats and the address to one server', async () => {
    const t = setup();
    await t.board.start();
    const first = t.stream();
    first.emit('ready');
    await settle();
    const options = [...(t.$('filter-server') as HTMLSelectElement).options].map((o) => o.value);
    expect(options).toEqual(['', 'gpu', 'local']);

    t.select('filter-server', 'gpu');
    expect(t.history.replaceState).toHaveBeenLastCalledWith(null, '', '/?server=gpu');
    expect(first.closed).toBe(true);
    expect(t.stream().url).toBe('/v1/stream?server=gpu');
    t.stream().emit('ready');
    await settle();
    expect(t.requests).toContain('GET /v1/jobs?status=pending%2Crunning&limit=100&server=gpu');
    expect(t.requests).toContain('GET /v1/stats/nodes?server=gpu');
    // A job of another server that reaches the board anyway is not shown.
    t.stream().job(makeJobDto({ server: 'local' }));
    expect(t.rows()).toEqual([]);
  });

  it('shows only failures with the failed filter: no active section, and a job leaves when it stops matching', async () => {
    const t = setup('?status=failed');
    const failed = makeJobDto({ status: 'error', rev: 10 });
    t.api.jobs = (q) => (q.get('status') === 'error,lost,rejected' ? [failed] : [makeJobDto()]);
    await t.board.start();
    expect((t.$('filter-status') as HTMLSelectElement).value).toBe('failed');
    t.stream().emit('ready');
    await settle();
    expect(t.requests.some((r) => r.includes('status=pending'))).toBe(false);
    expect(t.rows()).toEqual([failed.promptId]);
    expect(t.$('active-section').hidden).toBe(true);
    expect(t.$('history-section').hidden).toBe(false);

    t.stream().job(makeJobDto({ status: 'running', endedAt: null }));
    expect(t.cards()).toEqual([]);
    // Retried and succeeded: no longer a failure.
    t.stream().job({ ...failed, status: 'success', rev: 11 });
    expect(t.rows()).toEqual([]);
    expect(t.$('no-history').hidden).toBe(false);

    t.select('filter-status', 'active');
    expect(t.location.search).toBe('?status=active');
    expect(t.$('history-section').hidden).toBe(true);
    expect(t.$('active-section').hidden).toBe(false);
  });

  it('drops answers meant for filters that changed while they were on their way', async () => {
    const t = setup();
    let release = () => {};
    t.api.hold.set('/v1/stats/nodes', new Promise<void>((r) => (release = r)));
    // All servers' stats (held back) name a class; the gpu server's do not.
    t.api.classes = [
      {
        classType: 'Upscale',
        runs: 1,
        cachedRuns: 0,
        totalMs: 9,
        avgMs: 9,
        medianMs: 9,
        maxMs: 9,
        slowest: [],
      },
    ];
    await t.board.start();
    t.stream().emit('ready');
    await settle();
    t.select('filter-server', 'gpu');
    t.api.hold.clear();
    const allServers = t.api.classes;
    t.api.classes = [];
    t.stream().emit('ready');
    await settle();
    t.api.classes = allServers;
    release();
    await settle();
    expect(t.requests.filter((r) => r.startsWith('GET /v1/stats/nodes'))).toEqual([
      'GET /v1/stats/nodes',
      'GET /v1/stats/nodes?server=gpu',
    ]);
    expect(document.querySelectorAll('[data-testid="node-stat"]')).toHaveLength(0);
    expect((t.$('filter-server') as HTMLSelectElement).value).toBe('gpu');
  });

  it('signs out: the session is deleted and the page reloads', async () => {
    const t = setup();
    await t.board.start();
    t.$('logout').dispatchEvent(new Event('click'));
    await settle();
    expect(t.requests).toContain('DELETE /v1/session');
    expect(t.stream().closed).toBe(true);
    expect(t.location.reload).toHaveBeenCalled();
  });
});
