// The team dashboard in the browser. Served transpiled from this file; no imports at run time (types only).
// Every remote string goes into the DOM as text (textContent / attributes), never as HTML.
import type { JobDto, NodeClassStat } from '../repo/jobs';

const ACTIVE = new Set(['pending', 'running']);
const HISTORY_SIZE = 30;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const jobs = new Map<string, JobDto>();
const keyOf = (j: JobDto) => `${j.server}\u0000${j.promptId}`;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const jobPath = (j: JobDto) => `/v1/jobs/${encodeURIComponent(j.promptId)}`;
const serverQs = (j: JobDto) => `server=${encodeURIComponent(j.server)}`;

/**
 * The first media file of the job's outputs, as a server-proxied thumbnail URL. The server proxies only
 * outputs of jobs it tracked itself (source api), so other jobs get no thumbnail request at all.
 */
function thumbUrl(j: JobDto): string | null {
  if (j.source !== 'api') return null;
  for (const [node, out] of Object.entries(j.outputs ?? {})) {
    for (const k of ['images', 'gifs', 'video']) {
      const list = out[k];
      if (Array.isArray(list) && list.length > 0) {
        return `${jobPath(j)}/outputs/${encodeURIComponent(node)}/0?thumb=1&${serverQs(j)}`;
      }
    }
  }
  return null;
}

function image(src: string, alt: string): HTMLImageElement {
  const img = el('img', { src, alt, loading: 'lazy' });
  // A server that is not configured here (or is offline) has no thumbnail; hide the broken image.
  img.addEventListener('error', () => {
    img.hidden = true;
  });
  return img;
}

function renderCard(j: JobDto): HTMLElement {
  const card = el('article', { class: 'card', 'data-testid': 'active-job', 'data-prompt-id': j.promptId });
  card.append(el('span', { class: 'status', 'data-status': j.status }, j.status));
  card.append(el('span', { class: 'id', title: j.promptId }, j.promptId));
  card.append(el('span', { class: 'muted' }, `${j.server} · ${j.source}${j.user ? ` · ${j.user}` : ''}`));
  const pct = Math.round((j.progress ?? 0) * 100);
  const bar = el('div', {
    class: 'bar',
    role: 'progressbar',
    'aria-valuemin': '0',
    'aria-valuemax': '100',
    'aria-valuenow': String(pct),
    'data-testid': 'progress',
  });
  const fill = el('div');
  fill.style.width = `${pct}%`;
  bar.append(fill);
  card.append(bar);
  card.append(el('span', { class: 'muted' }, `${pct}%${j.currentNode ? ` · node ${j.currentNode}` : ''}`));
  if (j.hasPreview) card.append(image(`${jobPath(j)}/preview?${serverQs(j)}&rev=${j.rev}`, 'latest preview'));
  return card;
}

function renderRow(j: JobDto): HTMLElement {
  const tr = el('tr', {
    'data-testid': 'history-row',
    'data-prompt-id': j.promptId,
    'data-status': j.status,
  });
  const thumb = el('td');
  const src = thumbUrl(j);
  if (src) thumb.append(image(src, 'output'));
  tr.append(thumb);
  const status = el('td');
  const label = el('span', { class: 'status', 'data-status': j.status }, j.status);
  // The failure reason as a tooltip (an attribute, so still text).
  const message = (j.error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') label.title = message.slice(0, 500);
  status.append(label);
  tr.append(status);
  tr.append(el('td', { title: j.promptId }, j.promptId.slice(0, 8)));
  tr.append(el('td', {}, j.server));
  tr.append(el('td', {}, j.source));
  tr.append(el('td', {}, new Date(j.queuedAt ?? j.createdAt).toLocaleString()));
  tr.append(el('td', { class: 'num' }, fmtMs(j.durationMs)));
  return tr;
}

function render(): void {
  const all = [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt);
  const active = all.filter((j) => ACTIVE.has(j.status));
  $('active').replaceChildren(...active.map(renderCard));
  $('no-active').hidden = active.length > 0;
  const finished = all.filter((j) => !ACTIVE.has(j.status));
  const history = finished.slice(0, HISTORY_SIZE);
  // A dashboard left open for days must not keep every job it ever saw.
  for (const j of finished.slice(HISTORY_SIZE)) jobs.delete(keyOf(j));
  $('history')
    .querySelector('tbody')!
    .replaceChildren(...history.map(renderRow));
}

function renderStats(classes: NodeClassStat[]): void {
  $('stats')
    .querySelector('tbody')!
    .replaceChildren(
      ...classes.map((c) => {
        const tr = el('tr', { 'data-testid': 'node-stat' });
        tr.append(el('td', {}, c.classType));
        for (const v of [
          String(c.runs),
          String(c.cachedRuns),
          fmtMs(c.totalMs),
          fmtMs(c.avgMs),
          fmtMs(c.maxMs),
        ]) {
          tr.append(el('td', { class: 'num' }, v));
        }
        return tr;
      }),
    );
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (res.status === 401) throw new Error('unauthorized');
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

let statsPending = false;
function refreshStatsSoon(): void {
  if (statsPending) return;
  statsPending = true;
  window.setTimeout(async () => {
    statsPending = false;
    renderStats((await getJson<{ classes: NodeClassStat[] }>('/v1/stats/nodes')).classes);
  }, 2000);
}

function connect(): void {
  const live = $('live');
  const es = new EventSource('/v1/stream');
  es.addEventListener('ready', () => {
    live.dataset.state = 'live';
    live.textContent = 'live';
  });
  es.addEventListener('job', (ev) => {
    const j = JSON.parse((ev as MessageEvent<string>).data) as JobDto;
    const prev = jobs.get(keyOf(j));
    if (prev && prev.rev > j.rev) return;
    jobs.set(keyOf(j), j);
    render();
    if (!ACTIVE.has(j.status)) refreshStatsSoon();
  });
  es.addEventListener('error', () => {
    // EventSource reconnects by itself and resumes from Last-Event-ID.
    live.dataset.state = 'offline';
    live.textContent = 'reconnecting';
  });
}

async function load(): Promise<void> {
  const [active, recent, stats] = await Promise.all([
    getJson<{ jobs: JobDto[] }>('/v1/jobs?status=pending,running&limit=100'),
    getJson<{ jobs: JobDto[] }>(`/v1/jobs?limit=${HISTORY_SIZE}`),
    getJson<{ classes: NodeClassStat[] }>('/v1/stats/nodes'),
  ]);
  for (const j of [...recent.jobs, ...active.jobs]) jobs.set(keyOf(j), j);
  render();
  renderStats(stats.classes);
  $('login').hidden = true;
  $('board').hidden = false;
  $('logout').hidden = false;
  connect();
}

function showLogin(message = ''): void {
  $('board').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $<HTMLInputElement>('token');
  const res = await fetch('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: input.value.trim() }),
  });
  input.value = '';
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    showLogin(body?.error?.message ?? `Sign-in failed (${res.status})`);
    return;
  }
  await load().catch((e: unknown) => showLogin(String(e)));
});

$('logout').addEventListener('click', async () => {
  await fetch('/v1/session', { method: 'DELETE' });
  location.reload();
});

load().catch(() => showLogin());
