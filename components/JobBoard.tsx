/** Active jobs (queue order) and the last few finished ones: the heart of the popup and the side panel. */
import { i18n } from '#i18n';
import { useJobBoard, useNow, useServerMap } from '@/lib/ext/ui/hooks';
import { LiveJobCard } from './LiveJobCard';
import { NodeProgress } from './NodeProgress';
import { Section } from './Section';

export function JobBoard({
  recentLimit,
  large,
  onOpen,
}: {
  recentLimit: number;
  large?: boolean;
  onOpen?: (jobKey: string) => void;
}) {
  const board = useJobBoard(recentLimit);
  const servers = useServerMap();
  const now = useNow();
  if (!board) return <p className="muted">{i18n.t('ui_loading')}</p>;
  return (
    <>
      <Section id="active" title={i18n.t('ui_active_jobs')} testid="active-jobs">
        {board.active.length === 0 ? (
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
      <Section id="recent" title={i18n.t('ui_recent_jobs')} testid="recent-jobs">
        {board.recent.length === 0 ? (
          <p className="muted">{i18n.t('ui_no_recent_jobs')}</p>
        ) : (
          board.recent.map((job) => (
            <LiveJobCard
              key={job.key}
              job={job}
              now={now}
              server={servers.get(job.serverId)}
              onOpen={onOpen}
            />
          ))
        )}
      </Section>
    </>
  );
}
