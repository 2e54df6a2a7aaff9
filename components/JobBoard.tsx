/**
 * Active jobs (queue order) and the latest finished ones: the heart of the popup and the side panel.
 *
 * - `recent: 'none'` (the side panel): only active jobs; finished ones are in the history below, so no job
 *   shows twice in one view.
 * - `recent: 'cards'` (the popup): while something runs, the active cards and the last few finished as
 *   cards; when nothing runs, the latest results as a gallery that uses the popup's space.
 */
import { i18n } from '#i18n';
import { useJobBoard, useNow, useServerMap } from '@/lib/ext/ui/hooks';
import { LiveJobCard } from './LiveJobCard';
import { NodeProgress } from './NodeProgress';
import { ResultsGallery } from './ResultsGallery';
import { Section } from './Section';

export function JobBoard({
  recent,
  recentLimit = 0,
  galleryLimit = 0,
  large,
  onOpen,
}: {
  recent: 'cards' | 'none';
  /** Finished jobs shown as cards while something runs. */
  recentLimit?: number;
  /** Finished jobs shown in the gallery when nothing runs. */
  galleryLimit?: number;
  large?: boolean;
  onOpen?: (jobKey: string) => void;
}) {
  const board = useJobBoard(recent === 'none' ? 0 : Math.max(recentLimit, galleryLimit));
  const servers = useServerMap();
  const now = useNow();
  if (!board) return <p className="muted">{i18n.t('ui_loading')}</p>;
  const idle = board.active.length === 0;
  return (
    <>
      {(!idle || recent === 'none') && (
        <Section id="active" title={i18n.t('ui_active_jobs')} testid="active-jobs">
          {idle ? (
            <p className="muted" data-testid="no-active-jobs">
              {i18n.t('ui_no_active_jobs')}
            </p>
          ) : (
            board.active.map((job) => (
              <div key={job.key} className="job-block">
                <LiveJobCard
                  job={job}
                  now={now}
                  server={servers.get(job.serverId)}
                  onOpen={onOpen}
                  large={large ?? false}
                />
                {large && job.status === 'running' && <NodeProgress job={job} now={now} />}
              </div>
            ))
          )}
        </Section>
      )}
      {recent === 'cards' && idle && (
        <Section id="latest" title={i18n.t('ui_latest_results')} testid="latest-results">
          <p className="muted" data-testid="no-active-jobs">
            {i18n.t('ui_no_active_jobs')}
          </p>
          <ResultsGallery jobs={board.recent.slice(0, galleryLimit)} now={now} onOpen={onOpen} />
        </Section>
      )}
      {recent === 'cards' && !idle && board.recent.length > 0 && (
        <Section id="recent" title={i18n.t('ui_recent_jobs')} testid="recent-jobs">
          {board.recent.slice(0, recentLimit).map((job) => (
            <LiveJobCard
              key={job.key}
              job={job}
              now={now}
              server={servers.get(job.serverId)}
              onOpen={onOpen}
            />
          ))}
        </Section>
      )}
    </>
  );
}
