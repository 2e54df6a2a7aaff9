/**
 * A job's timelapse: the stored video playing (a GIF where the browser could not encode video, which says so),
 * with its frame count (`data-frames`, the UI contract), a download of the stored file named after the job,
 * and a GIF made on demand from the video for where video does not play (chat apps). Shown once the engine
 * has stored it, a moment after the job ends.
 */
import { useState } from 'react';
import { i18n } from '#i18n';
import type { JobRecord } from '@/lib/ext/db';
import { errorText } from '@/lib/ext/error-text';
import { useTimelapse } from '@/lib/ext/ui/hooks';
import { jobFileName, jobIdentity } from '@/lib/ext/ui/identity';
import { useServices } from '@/lib/ext/ui/services';

function kib(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} KiB`
    : `${(bytes / 1048576).toFixed(1)} MiB`;
}

type GifState = { state: 'idle' } | { state: 'working' } | { state: 'failed'; message: string };

export function TimelapseView({ job }: { job: JobRecord }) {
  const timelapse = useTimelapse(job.key);
  const services = useServices();
  const [gif, setGif] = useState<GifState>({ state: 'idle' });
  if (!timelapse) return null;
  const { rec, url } = timelapse;
  const isVideo = rec.mime.startsWith('video/');
  const name = jobIdentity(job).title ?? job.promptId.slice(0, 8);
  const label = i18n.t('ui_timelapse_alt', [name]);
  const common = {
    className: 'timelapse-image',
    'data-testid': 'job-timelapse',
    'data-frames': rec.frames,
    src: url,
    width: rec.width,
    height: rec.height,
  };

  const makeGif = async () => {
    setGif({ state: 'working' });
    try {
      services.saveFile(await services.timelapseGif(rec.data), jobFileName(job, 'gif'));
      setGif({ state: 'idle' });
    } catch (e) {
      setGif({ state: 'failed', message: errorText(e) });
    }
  };

  return (
    <section className="section timelapse" data-testid="job-timelapse-section">
      <h3 className="section-title">{i18n.t('ui_timelapse')}</h3>
      {isVideo ? (
        // muted and inline: it plays by itself, as an animation would
        <video {...common} loop muted autoPlay playsInline preload="auto" aria-label={label} />
      ) : (
        <img {...common} alt={label} />
      )}
      <div className="timelapse-bar">
        <a
          className="btn"
          data-testid="timelapse-download"
          href={url}
          download={jobFileName(job, isVideo ? 'webm' : 'gif')}
          type={rec.mime}
        >
          {isVideo ? i18n.t('ui_timelapse_download') : i18n.t('ui_timelapse_download_gif')}
        </a>
        {isVideo && (
          <button
            type="button"
            className="btn"
            data-testid="timelapse-download-gif"
            disabled={gif.state === 'working'}
            title={i18n.t('ui_timelapse_gif_hint')}
            onClick={() => void makeGif()}
          >
            {gif.state === 'working'
              ? i18n.t('ui_timelapse_gif_working')
              : i18n.t('ui_timelapse_download_gif')}
          </button>
        )}
        <span className="muted">
          {i18n.t('ui_timelapse_frames', [
            String(rec.frames ?? '?'),
            String(rec.width ?? '?'),
            String(rec.height ?? '?'),
            kib(rec.size),
          ])}
        </span>
      </div>
      {gif.state === 'failed' && (
        <p className="timelapse-note error-text" role="alert" data-testid="timelapse-gif-error">
          {i18n.t('ui_timelapse_gif_failed', [gif.message])}
        </p>
      )}
      {rec.fallback && (
        <p className="timelapse-note muted" data-testid="timelapse-fallback" title={rec.fallback}>
          {i18n.t('ui_timelapse_fallback')}
        </p>
      )}
    </section>
  );
}
