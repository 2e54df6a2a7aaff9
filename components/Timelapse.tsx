/**
 * A job's timelapse: the stored GIF playing, with its frame count (`data-frames`, the UI contract), and a
 * download named after the job. Shown once the engine has stored it, a moment after the job ends.
 */
import { i18n } from '#i18n';
import type { JobRecord } from '@/lib/ext/db';
import { useTimelapse } from '@/lib/ext/ui/hooks';
import { jobFileName, jobIdentity } from '@/lib/ext/ui/identity';

function kib(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} KiB`
    : `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function TimelapseView({ job }: { job: JobRecord }) {
  const timelapse = useTimelapse(job.key);
  if (!timelapse) return null;
  const { rec, url } = timelapse;
  const name = jobIdentity(job).title ?? job.promptId.slice(0, 8);
  return (
    <section className="section timelapse" data-testid="job-timelapse-section">
      <h3 className="section-title">{i18n.t('ui_timelapse')}</h3>
      <img
        className="timelapse-image"
        data-testid="job-timelapse"
        data-frames={rec.frames}
        src={url}
        width={rec.width}
        height={rec.height}
        alt={i18n.t('ui_timelapse_alt', [name])}
      />
      <div className="timelapse-bar">
        <a
          className="btn"
          data-testid="timelapse-download"
          href={url}
          download={jobFileName(job, 'gif')}
          type={rec.mime}
        >
          {i18n.t('ui_timelapse_download')}
        </a>
        <span className="muted">
          {i18n.t('ui_timelapse_frames', [
            String(rec.frames ?? '?'),
            String(rec.width ?? '?'),
            String(rec.height ?? '?'),
            kib(rec.size),
          ])}
        </span>
      </div>
    </section>
  );
}
