// The dashboard's behaviour: sign-in, the filters (kept in the page's URL), the initial lists, the live
// stream, and what is shown when. The browser's parts (fetch, EventSource, timers, location, history)
// are injected, so the whole flow runs in tests against fakes and in Chromium against the real server.
import type { JobDto, NodeClassStat, ServerSeen, StoredStatus } from '../repo/jobs';
import {
  ACTIVE_STATUSES,
  type Filters,
  filtersToSearch,
  isActive,
  matchesFilters,
  parseFilters,
  STATUS_FILTERS,
  type StatusFilter,
  sectionsShown,
  statusesOf,
} from './format';
import { activeCard, chartScale, el, historyRow, KeyedList, statRow } from './view';

/** The part of EventSource the board uses. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (ev: Event) => void): void;
  close(): void;
}

export interface BoardDeps {
  doc: Document;
  fetch: typeof fetch;
  EventSource: new (url: string) => EventSourceLike;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  location: { search: string; pathname: string; reload(): void };
  history: { replaceState(data: unknown, unused: string, url: string): void };
}

/** Finished jobs kept and shown. */
export const HISTORY_SIZE = 30;
/** Stats are re-read this long after a job ends (a burst of endings costs one request). */
export const STATS_DELAY_MS = 2000;
/** How often relative times ("3 min ago", "running for 2 min") are brought up to date. */
export const CLOCK_TICK_MS = 15_000;
/** Wait before retrying after the stream gave up or a load failed. */
export const RETRY_MS = 5000;

const EVENT_SOURCE_CLOSED = 2;
const FINISHED_STATUSES: StoredStatus[] = Object.values(STATUS_FILTERS)
  .flatMap((f): readonly StoredStatus[] => f.statuses)
  .filter((s) => !ACTIVE_STATUSES.includes(s));

const keyOf = (j: Pick<JobDto, 'server' | 'promptId'>) => `${j.server}\u0000${j.promptId}`;
const byNewest = (a: JobDto, b: JobDto) => b.createdAt - a.createdAt;

export class Board {
  private readonly jobs = new Map<string, JobDto>();
  private readonly servers = new Set<string>();
  private filters: Filters;
  private stats: NodeClassStat[] = [];
  private es: EventSourceLike | null = null;
  /** Bumped on every filter change and sign-out: answers for an older generation are dropped. */
  private generation = 0;
  private loadedGeneration = -1;
  private statsTimer: unknown = null;
  private clock: unknown = null;
  private readonly activeList: KeyedList<JobDto>;
  private readonly historyList: KeyedList<JobDto>;

  constructor(private readonly d: BoardDeps) {
    this.filters = parseFilters(d.location.search);
    this.activeList = new KeyedList(this.$('active'), activeCard, keyOf);
    this.historyList = new KeyedList(this.$('history'), historyRow, keyOf);
    const status = this.$<HTMLSelectElement>('filter-status');
    status.replaceChildren(
      ...Object.entries(STATUS_FILTERS).map(([value, f]) => el('option', { value }, f.label)),
    );
    status.addEventListener('change', () =>
      this.setFilters({ ...this.filters, status: status.value as StatusFilter }),
    );
    const server = this.$<HTMLSelectElement>('filter-server');
    server.addEventListener('change', () => {
      const { server: _old, ...rest } = this.filters;
      this.setFilters(server.value === '' ? rest : { ...rest, server: server.value });
    });
    this.$('login').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.signIn();
    });
    this.$('logout').addEventListener('click', () => void this.signOut());
  }

  private $<T extends HTMLElement = HTMLElement>(id: string): T {
    const e = this.d.doc.getElementById(id);
    if (!e) throw new Error(`dashboard page has no #${id}`);
    return e as T;
  }

  /** Opens the board when the browser already has a session, else shows the sign-in form. */
  async start(): Promise<void> {
    const res = await this.d.fetch('/v1/session', { credentials: 'same-origin' }).catch(() => null);
    if (res?.ok) this.open();
    else this.showLogin(res && res.status !== 401 ? `The server answered ${res.status}` : '');
  }

  get currentFilters(): Filters {
    return this.filters;
  }

  private async signIn(): Promise<void> {
    const input = this.$<HTMLInputElement>('token');
    const res = await this.d
      .fetch('/v1/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: input.value.trim() }),
      })
      .catch(() => null);
    input.value = '';
    if (!res) return this.showLogin('The server is unreachable');
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
      const message = body?.error?.message;
      return this.showLogin(typeof message === 'string' ? message : `Sign-in failed (${res.status})`);
    }
    this.open();
  }

  private async signOut(): Promise<void> {
    this.close();
    await this.d.fetch('/v1/session', { method: 'DELETE' }).catch(() => null);
    this.d.location.reload();
  }

  private showLogin(message: string): void {
    this.close();
    this.$('board').hidden = true;
    this.$('logout').hidden = true;
    this.$('login').hidden = false;
    this.$('login-error').textContent = message;
  }

  private open(): void {
    this.$('login').hidden = true;
    this.$('board').hidden = false;
    this.$('logout').hidden = false;
    this.clock ??= this.d.setInterval(() => {
      this.render();
      this.renderStats();
    }, CLOCK_TICK_MS);
    this.reload();
  }

  private close(): void {
    this.generation++;
    this.es?.close();
    this.es = null;
  }

  setFilters(f: Filters): void {
    this.filters = f;
    this.d.history.replaceState(null, '', `${this.d.location.pathname}${filtersToSearch(f)}`);
    this.reload();
  }

  /** Starts over for the current filters: a stream of its own, then the lists (once the stream is ready). */
  private reload(): void {
    this.close();
    const gen = this.generation;
    this.jobs.clear();
    this.stats = [];
    this.render();
    this.renderStats();
    this.connect(gen);
  }

  private setLive(state: 'connecting' | 'live' | 'offline', text: string): void {
    const live = this.$('live');
    live.dataset.state = state;
    live.textContent = text;
  }

  private connect(gen: number): void {
    // Only the server narrows the stream: a job that leaves the status filter must still arrive, to leave.
    const qs = this.filters.server === undefined ? '' : `?server=${encodeURIComponent(this.filters.server)}`;
    const es = new this.d.EventSource(`/v1/stream${qs}`);
    this.es = es;
    this.setLive('connecting', 'connecting');
    es.addEventListener('ready', () => {
      if (gen !== this.generation) return;
      this.setLive('live', 'live');
      // Loaded after the stream is subscribed, so no change falls between the lists and the stream.
      if (this.loadedGeneration !== gen) void this.load(gen);
    });
    es.addEventListener('job', (ev) => {
      if (gen !== this.generation) return;
      this.apply(JSON.parse((ev as MessageEvent<string>).data) as JobDto);
      this.render();
    });
    es.addEventListener('error', () => {
      if (gen !== this.generation) return;
      // EventSource reconnects by itself (resuming from Last-Event-ID) unless the server refused it.
      this.setLive('offline', 'reconnecting');
      if (es.readyState === EVENT_SOURCE_CLOSED) void this.streamRefused(gen);
    });
  }

  /** The stream was answered with an error: an ended session means signing in again; else retry later. */
  private async streamRefused(gen: number): Promise<void> {
    const res = await this.d.fetch('/v1/session', { credentials: 'same-origin' }).catch(() => null);
    if (gen !== this.generation) return;
    if (res?.status === 401) return this.showLogin('Your session has ended; sign in again.');
    if (this.loadedGeneration !== gen) void this.load(gen);
    this.d.setTimeout(() => {
      if (gen === this.generation) this.connect(gen);
    }, RETRY_MS);
  }

  private async getJson<T>(path: string): Promise<T> {
    const res = await this.d.fetch(path, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  private listPath(statuses: readonly string[], limit: number): string {
    const q = new URLSearchParams({ status: statuses.join(','), limit: String(limit) });
    if (this.filters.server !== undefined) q.set('server', this.filters.server);
    return `/v1/jobs?${q}`;
  }

  private statsPath(): string {
    const s = this.filters.server;
    return s === undefined ? '/v1/stats/nodes' : `/v1/stats/nodes?server=${encodeURIComponent(s)}`;
  }

  private async load(gen: number): Promise<void> {
    this.loadedGeneration = gen;
    const shown = sectionsShown(this.filters);
    const wanted = statusesOf(this.filters);
    const pick = (from: readonly StoredStatus[]) =>
      wanted.length ? from.filter((s) => wanted.includes(s)) : from;
    const none = Promise.resolve({ jobs: [] as JobDto[] });
    // The server list does not depend on the filters: shown as soon as it arrives.
    void this.getJson<{ servers: ServerSeen[] }>('/v1/stats/servers')
      .then(({ servers }) => {
        for (const s of servers) this.servers.add(s.server);
        this.renderFilters();
      })
      .catch(() => {});
    try {
      const [active, finished, stats] = await Promise.all([
        shown.active ? this.getJson<{ jobs: JobDto[] }>(this.listPath(pick(ACTIVE_STATUSES), 100)) : none,
        shown.finished
          ? this.getJson<{ jobs: JobDto[] }>(this.listPath(pick(FINISHED_STATUSES), HISTORY_SIZE))
          : none,
        this.getJson<{ classes: NodeClassStat[] }>(this.statsPath()),
      ]);
      if (gen !== this.generation) return;
      for (const j of [...active.jobs, ...finished.jobs]) this.apply(j);
      this.stats = stats.classes;
      this.render();
      this.renderStats();
    } catch {
      if (gen !== this.generation) return;
      this.loadedGeneration = -1;
      this.setLive('offline', 'offline');
      this.d.setTimeout(() => {
        if (gen === this.generation && this.loadedGeneration !== gen) void this.load(gen);
      }, RETRY_MS);
    }
  }

  /** Takes a job version in, unless a newer one is already here; a job outside the filters leaves. */
  private apply(j: JobDto): void {
    const k = keyOf(j);
    const prev = this.jobs.get(k);
    if (prev && prev.rev > j.rev) return;
    if (!this.servers.has(j.server)) this.servers.add(j.server);
    if (!matchesFilters(this.filters, j)) {
      this.jobs.delete(k);
      return;
    }
    this.jobs.set(k, j);
    if (prev && isActive(prev) && !isActive(j)) this.refreshStatsSoon();
  }

  private refreshStatsSoon(): void {
    if (this.statsTimer !== null) return;
    const gen = this.generation;
    this.statsTimer = this.d.setTimeout(async () => {
      this.statsTimer = null;
      if (gen !== this.generation) return;
      const stats = await this.getJson<{ classes: NodeClassStat[] }>(this.statsPath()).catch(() => null);
      if (!stats || gen !== this.generation) return;
      this.stats = stats.classes;
      this.renderStats();
    }, STATS_DELAY_MS);
  }

  private render(): void {
    const now = this.d.now();
    const all = [...this.jobs.values()].sort(byNewest);
    const active = all.filter(isActive);
    const finished = all.filter((j) => !isActive(j));
    // A dashboard left open for days must not keep every job it ever saw.
    for (const j of finished.slice(HISTORY_SIZE)) this.jobs.delete(keyOf(j));
    const shown = sectionsShown(this.filters);
    this.$('active-section').hidden = !shown.active;
    this.$('history-section').hidden = !shown.finished;
    this.activeList.render(active, now);
    this.historyList.render(finished.slice(0, HISTORY_SIZE), now);
    this.$('active-count').textContent = active.length ? String(active.length) : '';
    this.$('no-active').hidden = active.length > 0;
    this.$('no-history').hidden = finished.length > 0;
    this.renderFilters();
  }

  private renderFilters(): void {
    this.$<HTMLSelectElement>('filter-status').value = this.filters.status;
    const select = this.$<HTMLSelectElement>('filter-server');
    const seen = new Set(this.servers);
    if (this.filters.server !== undefined) seen.add(this.filters.server);
    const names = [...seen].sort((a, b) => a.localeCompare(b));
    const current = [...select.options].slice(1).map((o) => o.value);
    if (names.length !== current.length || names.some((n, i) => n !== current[i])) {
      select.replaceChildren(
        el('option', { value: '' }, 'All servers'),
        ...names.map((n) => el('option', { value: n }, n)),
      );
    }
    select.value = this.filters.server ?? '';
  }

  private renderStats(): void {
    const now = this.d.now();
    const scale = chartScale(this.stats);
    this.$('stats').replaceChildren(...this.stats.map((c) => statRow(c, scale, now)));
    this.$('no-stats').hidden = this.stats.length > 0;
  }
}
