// The dashboard's DOM: an active job's card, a finished job's row, the node-class chart. Built with DOM
// calls only; every remote string goes in through textContent or an attribute, never as HTML. Each view
// keeps its elements and updates them in place, so a live update neither flickers nor reloads images.
import { formatAbsolute, formatRelative, percent } from '../../lib/ext/ui/format';
import type { JobDto, NodeClassStat, SlowRun } from '../repo/jobs';
import {
  failureLine,
  fmtMs,
  isActive,
  jobTitle,
  lastEventAt,
  outputKind,
  previewUrl,
  startedBy,
  thumbUrl,
} from './format';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface View<T> {
  root: HTMLElement;
  update(value: T, now: number): void;
}

/** Keeps one view per key in a container, in the given order, reusing the views of keys seen before. */
export class KeyedList<T> {
  private views = new Map<string, View<T>>();

  constructor(
    private readonly container: HTMLElement,
    private readonly create: () => View<T>,
    private readonly key: (item: T) => string,
  ) {}

  render(items: T[], now: number): void {
    const next = new Map<string, View<T>>();
    for (const item of items) {
      const k = this.key(item);
      const view = next.get(k) ?? this.views.get(k) ?? this.create();
      view.update(item, now);
      next.set(k, view);
    }
    this.views = next;
    const roots = [...next.values()].map((v) => v.root);
    const current = [...this.container.children];
    // Re-inserting unchanged nodes would restart their transitions (the progress bar's glide).
    if (roots.length !== current.length || roots.some((r, i) => r !== current[i]))
      this.container.replaceChildren(...roots);
  }
}

/** "alice · gpu-box" after a badge saying what started the job ("Extension", "API", "n8n"). */
function whoLine(): View<JobDto> {
  const root = el('span', { class: 'who' });
  const badge = el('span', { class: 'badge', 'data-testid': 'started-by' });
  const name = el('span', { class: 'name' });
  const server = el('span', { class: 'server', 'data-testid': 'server' });
  root.append(badge, name, server);
  return {
    root,
    update(j) {
      const who = startedBy(j);
      badge.dataset.source = who.source;
      badge.textContent = who.badge;
      name.textContent = who.name ?? '';
      name.hidden = who.name === null;
      server.textContent = j.server;
    },
  };
}

function statusLabel(): View<JobDto> {
  const root = el('span', { class: 'status' });
  return {
    root,
    update(j) {
      root.dataset.status = j.status;
      root.textContent = j.status;
    },
  };
}

/** What a card and a row both show: the job's title, status and who started it, and its identity. */
function jobParts() {
  const title = el('span', { class: 'title', 'data-testid': 'job-title' });
  const status = statusLabel();
  const who = whoLine();
  return {
    title,
    status: status.root,
    who: who.root,
    update(root: HTMLElement, j: JobDto, now: number) {
      const t = jobTitle(j);
      root.dataset.promptId = j.promptId;
      root.dataset.status = j.status;
      title.textContent = t.title;
      title.title = j.promptId;
      status.update(j, now);
      who.update(j, now);
      return t;
    },
  };
}

function timeAgo(): View<number> {
  const root = el('time');
  return {
    root,
    update(at, now) {
      root.dateTime = new Date(at).toISOString();
      root.textContent = formatRelative(at, now);
      root.title = formatAbsolute(at);
    },
  };
}

/**
 * The latest live preview. A new frame loads hidden and replaces the shown one once it has loaded, so
 * the card never flashes an empty box between frames; while one loads, a newer URL replaces it (no
 * backlog of frames on a slow link).
 */
function livePreview(): { root: HTMLElement; show(url: string | null): void } {
  const root = el('div', { class: 'media' });
  let shown: HTMLImageElement | null = null;
  let loading: HTMLImageElement | null = null;
  let wanted: string | null = null;
  return {
    root,
    show(url) {
      root.hidden = url === null && shown === null;
      if (url === null || url === wanted) return;
      wanted = url;
      if (loading) {
        loading.src = url;
        return;
      }
      const next = el('img', { alt: 'latest preview', src: url });
      next.hidden = true;
      loading = next;
      next.addEventListener('load', () => {
        loading = null;
        shown?.remove();
        next.hidden = false;
        shown = next;
      });
      next.addEventListener('error', () => {
        loading = null;
        next.remove();
      });
      root.append(next);
    },
  };
}

export function activeCard(): View<JobDto> {
  const root = el('article', { class: 'card', 'data-testid': 'active-job' });
  const preview = livePreview();
  const body = el('div', { class: 'card-body' });
  const head = el('div', { class: 'head' });
  const parts = jobParts();
  head.append(parts.title, parts.status);
  const bar = el('div', {
    class: 'bar',
    role: 'progressbar',
    'aria-valuemin': '0',
    'aria-valuemax': '100',
    'data-testid': 'progress',
  });
  const fill = el('div');
  bar.append(fill);
  const line = el('div', { class: 'muted line' });
  body.append(head, parts.who, bar, line);
  root.append(preview.root, body);
  return {
    root,
    update(j, now) {
      const t = parts.update(root, j, now);
      const pct = percent(j.progress);
      bar.setAttribute('aria-valuenow', String(pct));
      bar.setAttribute('aria-label', `Progress of ${t.title}`);
      // CSSOM, not a style attribute: allowed under style-src 'self'.
      fill.style.width = `${pct}%`;
      // Each fact wraps as a whole ("running for 1.6 s" never leaves its "s" on a line of its own); only
      // the node's class, which can be long, breaks inside.
      const facts = [el('span', { class: 'fact' }, `${pct}%`)];
      if (j.currentClass ?? j.currentNode)
        facts.push(el('span', { class: 'fact node' }, j.currentClass ?? `node ${j.currentNode}`));
      if (j.status === 'pending')
        facts.push(el('span', { class: 'fact' }, `queued ${formatRelative(j.queuedAt ?? j.createdAt, now)}`));
      else if (j.startedAt !== null)
        facts.push(el('span', { class: 'fact' }, `running for ${fmtMs(Math.max(0, now - j.startedAt))}`));
      line.replaceChildren(...facts.flatMap((f, i) => (i === 0 ? [f] : [' · ', f])));
      preview.show(previewUrl(j));
    },
  };
}

function thumbnail(): View<JobDto> {
  const root = el('div', { class: 'thumb' });
  let src: string | null = null;
  return {
    root,
    update(j) {
      const next = thumbUrl(j);
      if (next !== null && next === src) return;
      src = next;
      if (next === null) {
        // No picture this server may fetch: the output's kind, never a made-up image.
        root.replaceChildren(el('span', { class: 'tile' }, outputKind(j) ?? '–'));
        return;
      }
      const img = el('img', { src: next, alt: 'output', loading: 'lazy' });
      // The job's ComfyUI is not configured here or is offline: show the tile instead of a broken image.
      img.addEventListener('error', () => {
        img.replaceWith(el('span', { class: 'tile' }, outputKind(j) ?? '–'));
      });
      root.replaceChildren(img);
    },
  };
}

export function historyRow(): View<JobDto> {
  const root = el('li', { class: 'row', 'data-testid': 'history-row' });
  const thumb = thumbnail();
  const main = el('div', { class: 'main' });
  const parts = jobParts();
  const sub = el('div', { class: 'sub muted' });
  const when = timeAgo();
  sub.append(parts.who, when.root);
  const detail = el('div', { class: 'detail' });
  main.append(parts.title, sub, detail);
  const side = el('div', { class: 'side' });
  const duration = el('span', { class: 'num' });
  side.append(parts.status, duration);
  root.append(thumb.root, main, side);
  return {
    root,
    update(j, now) {
      const t = parts.update(root, j, now);
      thumb.update(j, now);
      when.update(lastEventAt(j), now);
      const failure = failureLine(j);
      detail.textContent = failure ?? t.detail ?? '';
      detail.className = failure ? 'detail failure' : 'detail muted';
      detail.hidden = detail.textContent === '';
      duration.textContent = isActive(j) ? '' : fmtMs(j.durationMs);
    },
  };
}

export interface ChartScale {
  /** The largest total of the classes shown: the total bar's full width. */
  maxTotalMs: number;
  /** The slowest run of the classes shown: the per-run bar's full width. */
  maxRunMs: number;
}

export function chartScale(classes: NodeClassStat[]): ChartScale {
  return {
    maxTotalMs: Math.max(0, ...classes.map((c) => c.totalMs)),
    maxRunMs: Math.max(0, ...classes.map((c) => c.maxMs)),
  };
}

const share = (v: number, of: number) => `${of > 0 ? Math.min(100, (100 * v) / of) : 0}%`;

function slowRunText(r: SlowRun, now: number): string {
  const what = r.workflowName ? `${r.workflowName}, ` : '';
  const when = r.startedAt === null ? '' : `, ${formatRelative(r.startedAt, now)}`;
  return `${fmtMs(r.durationMs)} (${what}${r.server}${when})`;
}

/** One class of the chart: its total time as a bar, and its median and slowest run on a common scale. */
export function statRow(c: NodeClassStat, scale: ChartScale, now: number): HTMLElement {
  const li = el('li', { class: 'stat', 'data-testid': 'node-stat' });
  li.dataset.class = c.classType;
  const head = el('div', { class: 'head' });
  head.append(el('span', { class: 'cls' }, c.classType), el('span', { class: 'num' }, fmtMs(c.totalMs)));
  const total = el('div', {
    class: 'total-bar',
    role: 'img',
    'aria-label': `${c.classType}: ${fmtMs(c.totalMs)} in total`,
  });
  const totalFill = el('div');
  totalFill.style.width = share(c.totalMs, scale.maxTotalMs);
  total.append(totalFill);
  li.append(head, total);
  if (c.runs === 0) {
    li.append(el('div', { class: 'meta muted' }, `Only from the cache (${c.cachedRuns} runs)`));
    return li;
  }
  const runs = el('div', {
    class: 'run-bar',
    role: 'img',
    'aria-label': `${c.classType}: median ${fmtMs(c.medianMs)}, slowest ${fmtMs(c.maxMs)}`,
  });
  const slowest = el('div', { class: 'slowest-fill' });
  slowest.style.width = share(c.maxMs, scale.maxRunMs);
  const median = el('div', { class: 'median-fill' });
  median.style.width = share(c.medianMs, scale.maxRunMs);
  runs.append(slowest, median);
  const cached = c.cachedRuns > 0 ? ` (+${c.cachedRuns} cached)` : '';
  const meta = el('div', { class: 'meta' });
  meta.append(
    el('span', { class: 'muted' }, `${c.runs} ${c.runs === 1 ? 'run' : 'runs'}${cached} · `),
    el('span', { class: 'key-median', 'data-testid': 'median' }, `median ${fmtMs(c.medianMs)}`),
    el('span', { class: 'muted' }, ' · '),
    el('span', { class: 'key-slowest', 'data-testid': 'slowest' }, `slowest ${fmtMs(c.maxMs)}`),
  );
  li.append(runs, meta);
  if (c.slowest.length > 0) {
    const list = el('div', { class: 'slow-runs muted', 'data-testid': 'slow-runs' });
    list.textContent = `Slowest runs: ${c.slowest.map((r) => slowRunText(r, now)).join(' · ')}`;
    li.append(list);
  }
  return li;
}
