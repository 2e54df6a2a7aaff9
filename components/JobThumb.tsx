/** A job's stored output thumbnail, small; a status-coloured tile when it has none (yet). */
import type { JobRecord } from '@/lib/ext/db';
import { useBlobUrl } from '@/lib/ext/ui/hooks';

export function JobThumb({ job, className = 'job-thumb' }: { job: JobRecord; className?: string }) {
  const url = useBlobUrl(job.thumbKey);
  return url !== undefined ? (
    <img className={className} data-testid="job-thumb" src={url} alt="" loading="lazy" />
  ) : (
    <span
      className={`${className} thumb-empty status-${job.status}`}
      data-testid="job-thumb-empty"
      aria-hidden
    />
  );
}
