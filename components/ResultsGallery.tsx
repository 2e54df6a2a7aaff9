/**
 * The popup when nothing runs: the latest results as a small gallery of thumbnails, each opening its job
 * in the side panel. A job without a stored thumbnail (a failure, or retention took it) shows its status.
 */
import { i18n } from '#i18n';
import type { JobRecord } from '@/lib/ext/db';
import { errorLine, jobIdentity } from '@/lib/ext/ui/identity';
import { entryProps } from './entry';
import { jobTitle } from './JobCard';
import { JobThumb } from './JobThumb';
import { statusLabel } from './labels';
import { RelativeTime } from './RelativeTime';

export function ResultsGallery({
  jobs,
  now,
  onOpen,
}: {
  jobs: readonly JobRecord[];
  now: number;
  onOpen?: ((jobKey: string) => void) | undefined;
}) {
  return (
    <ul className="results-gallery" data-testid="results-gallery">
      {jobs.map((job) => {
        const title = jobIdentity(job).title ?? jobTitle(job);
        const failure = errorLine(job);
        return (
          <li key={job.key}>
            <button
              type="button"
              className={`gallery-item status-${job.status}`}
              {...entryProps(job, 'gallery-item')}
              title={failure !== undefined ? `${title}\n${failure}` : title}
              onClick={() => onOpen?.(job.key)}
            >
              <JobThumb job={job} className="gallery-thumb" />
              <span className="gallery-caption">
                <span className="gallery-title">{title}</span>
                {failure !== undefined && <span className="gallery-error">{failure}</span>}
                <span className="gallery-sub">
                  {job.status !== 'success' && `${statusLabel(job.status)} · `}
                  <RelativeTime at={job.endedAt ?? job.createdAt} now={now} />
                </span>
              </span>
            </button>
          </li>
        );
      })}
      {jobs.length === 0 && <li className="muted">{i18n.t('ui_no_recent_jobs')}</li>}
    </ul>
  );
}
