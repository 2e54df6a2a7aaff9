/**
 * The history, virtualised: only the rows in view (plus a small overscan) are in the DOM, and Dexie is
 * asked for `limit` rows through an index, growing by a page as the list nears its end. Opening the side
 * panel with 10,000 jobs therefore costs one indexed query of the first page and one screen of rows.
 */

import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { i18n } from '#i18n';
import type { JobRecord } from '@/lib/ext/db';
import type { HistoryFilter, PublicServer } from '@/lib/ext/storage/repo';
import { elapsedMs, formatDuration } from '@/lib/ext/ui/format';
import { useHistory, useNow } from '@/lib/ext/ui/hooks';
import { errorLine, jobIdentity } from '@/lib/ext/ui/identity';
import { entryProps } from './entry';
import { jobTitle } from './JobCard';
import { JobThumb } from './JobThumb';
import { statusLabel } from './labels';
import { RelativeTime } from './RelativeTime';

export const FIRST_PAGE = 40;
export const PAGE = 200;
export const ROW_HEIGHT = 56;
const NO_ROWS: JobRecord[] = [];

/**
 * One finished job as a person recognises it: its thumbnail, its workflow (or output file, or output node),
 * the server, and when, relative with the absolute date on hover.
 */
export function HistoryRow({
  job,
  server,
  now,
  onOpen,
}: {
  job: JobRecord;
  server: PublicServer | undefined;
  now: number;
  onOpen(jobKey: string): void;
}) {
  const duration = elapsedMs(job, job.endedAt ?? job.updatedAt);
  const { title, detail } = jobIdentity(job);
  const failure = errorLine(job);
  return (
    <button
      type="button"
      className={`history-row status-${job.status}`}
      {...entryProps(job, 'history-row')}
      onClick={() => onOpen(job.key)}
    >
      <JobThumb job={job} />
      <span className="history-main">
        <span className="history-title" data-testid="history-title">
          {title ?? jobTitle(job)}
        </span>
        <span className="history-sub">
          {failure !== undefined ? (
            <span className="history-error">{failure} · </span>
          ) : (
            detail !== undefined && `${detail} · `
          )}
          {server?.name ?? job.serverId}
          {' · '}
          <RelativeTime at={job.endedAt ?? job.createdAt} now={now} />
        </span>
      </span>
      <span className="history-end">
        <span className={`pill pill-${job.status}`}>{statusLabel(job.status)}</span>
        <span className="history-duration num">{duration !== undefined ? formatDuration(duration) : ''}</span>
      </span>
    </button>
  );
}

export function HistoryList({
  filter,
  servers,
  onOpen,
  initialHeight = 480,
}: {
  filter: Omit<HistoryFilter, 'limit' | 'offset'>;
  servers: Map<string, PublicServer>;
  onOpen(jobKey: string): void;
  /** Viewport height before the first measurement (tests and the first paint). */
  initialHeight?: number;
}) {
  const [limit, setLimit] = useState(FIRST_PAGE);
  // relative dates move slowly: a coarse clock keeps the list from re-rendering every second
  const now = useNow(30_000);
  const filterKey = JSON.stringify(filter);
  // A new filter starts again from the first page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the filter's value changes
  useEffect(() => setLimit(FIRST_PAGE), [filterKey]);
  // useLiveQuery keeps the previous rows while a larger page (or a new filter) loads: the list never blanks.
  const result = useHistory(filter, limit);
  const rows = result?.rows ?? NO_ROWS;
  const hasMore = result?.hasMore ?? false;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    initialRect: { width: 360, height: initialHeight },
    // A panel not laid out yet (or a DOM without layout) measures 0: still render the first screen.
    observeElementRect: (instance, cb) =>
      observeElementRect(instance, (rect) =>
        cb(rect.height > 0 ? rect : { width: rect.width, height: initialHeight }),
      ),
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && lastIndex >= rows.length - 10) setLimit((l) => Math.max(l, rows.length + PAGE));
  }, [hasMore, lastIndex, rows.length]);

  useEffect(() => {
    // Benchmarks read this mark: the first screen of history rows is in the DOM.
    if (rows.length > 0 && performance.getEntriesByName('comfypulse:history-ready').length === 0) {
      performance.mark('comfypulse:history-ready');
    }
  }, [rows.length]);

  if (!result) return <p className="muted">{i18n.t('ui_loading')}</p>;
  if (rows.length === 0) {
    return (
      <p className="muted" data-testid="history-empty">
        {i18n.t('ui_history_empty')}
      </p>
    );
  }
  return (
    <div ref={scrollRef} className="history-scroll" data-testid="history-list" data-count={rows.length}>
      <div className="history-inner" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const job = rows[item.index];
          return (
            <div
              key={job?.key ?? 'more'}
              className="history-slot"
              style={{ height: item.size, transform: `translateY(${item.start}px)` }}
            >
              {job ? (
                <HistoryRow job={job} server={servers.get(job.serverId)} now={now} onOpen={onOpen} />
              ) : (
                <span className="muted">{i18n.t('ui_loading')}</span>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
