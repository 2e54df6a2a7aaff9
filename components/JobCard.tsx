/**
 * One job: status, progress, current node, elapsed time and estimate, latest preview or output thumbnail,
 * error, and cancel. Presentational: the caller passes the job, the clock reading and image URLs.
 *
 * Cancel never pretends: the button only shows that a request is in flight; the status shown is always the
 * store's, so a job stays "running" until the engine reports it interrupted.
 */

import { useEffect, useState } from 'react';
import { i18n } from '#i18n';
import { isTerminal } from '@/lib/comfy/types';
import type { JobRecord } from '@/lib/ext/db';
import { errorText } from '@/lib/ext/error-text';
import type { CancelOutcome } from '@/lib/ext/protocol';
import { elapsedMs, formatDuration, percent, remainingMs } from '@/lib/ext/ui/format';
import { jobIdentity } from '@/lib/ext/ui/identity';
import { entryProps } from './entry';
import { statusLabel } from './labels';
import { ProgressBar } from './ProgressBar';
import { RelativeTime } from './RelativeTime';

export interface JobCardProps {
  job: JobRecord;
  now: number;
  serverName?: string | undefined;
  previewUrl?: string | undefined;
  thumbUrl?: string | undefined;
  onCancel?: (() => Promise<CancelOutcome>) | undefined;
  onOpen?: (() => void) | undefined;
  large?: boolean;
}

/** The class type of the node running now, else its id; undefined when no node runs. */
export function currentNodeLabel(job: JobRecord): string | undefined {
  if (job.currentNode === null) return undefined;
  return job.currentClassType ?? job.classTypes[job.currentNode] ?? i18n.t('ui_node_id', [job.currentNode]);
}

/** The short-id name, for a job nothing else identifies yet. */
export function jobTitle(job: JobRecord): string {
  return i18n.t('ui_job_title', [job.promptId.slice(0, 8)]);
}

function CancelButton({ job, onCancel }: { job: JobRecord; onCancel: () => Promise<CancelOutcome> }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  // A new status from the store settles the request, whatever its answer was.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on status change only
  useEffect(() => setBusy(false), [job.status]);
  const click = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      const res = await onCancel();
      if (!res.ok) {
        setFailure(res.message || i18n.t('ui_cancel_failed'));
        setBusy(false);
      }
    } catch (e) {
      setFailure(errorText(e));
      setBusy(false);
    }
  };
  const label = job.status === 'running' ? i18n.t('ui_cancel_running') : i18n.t('ui_cancel_pending');
  return (
    <>
      <button
        type="button"
        className="btn btn-danger"
        data-testid="job-cancel"
        disabled={busy}
        onClick={click}
      >
        {busy ? i18n.t('ui_cancelling') : label}
      </button>
      {failure !== undefined && (
        <p className="job-cancel-error" role="alert" data-testid="job-cancel-error">
          {failure}
        </p>
      )}
    </>
  );
}

export function JobCard({
  job,
  now,
  serverName,
  previewUrl,
  thumbUrl,
  onCancel,
  onOpen,
  large,
}: JobCardProps) {
  const elapsed = elapsedMs(job, now);
  const remaining = remainingMs(job, now);
  const node = job.status === 'running' ? currentNodeLabel(job) : undefined;
  const pct = job.status === 'success' ? 100 : percent(job.progress);
  const terminal = isTerminal(job.status);
  const image = terminal ? (thumbUrl ?? previewUrl) : previewUrl;
  const identity = jobIdentity(job);
  const title = identity.title ?? jobTitle(job);
  return (
    <article
      className={`job-card status-${job.status}${large ? ' job-card-large' : ''}`}
      {...entryProps(job, 'job-card')}
    >
      <div className="job-main">
        <header className="job-head">
          <span className={`pill pill-${job.status}`} data-testid="job-status">
            {statusLabel(job.status)}
          </span>
          {onOpen ? (
            <button type="button" className="link job-title" data-testid="job-open" onClick={onOpen}>
              {title}
            </button>
          ) : (
            <span className="job-title">{title}</span>
          )}
          {serverName !== undefined && <span className="job-server">{serverName}</span>}
        </header>
        {identity.detail !== undefined && (
          <p className="job-detail-line" data-testid="job-identity-detail">
            {identity.detail}
          </p>
        )}
        <ProgressBar
          value={pct}
          label={i18n.t('ui_progress_label', [title])}
          busy={job.status === 'running' && pct === 0}
        />
        <div className="job-meta">
          {node !== undefined && (
            <span className="job-node" data-testid="job-current-node">
              {node}
            </span>
          )}
          {job.status === 'pending' && <span>{i18n.t('ui_waiting')}</span>}
          {elapsed !== undefined && (
            <span data-testid="job-elapsed">
              {terminal
                ? i18n.t('ui_took', [formatDuration(elapsed)])
                : i18n.t('ui_elapsed', [formatDuration(elapsed)])}
            </span>
          )}
          {terminal && (
            <span>
              <RelativeTime at={job.endedAt ?? job.updatedAt} now={now} />
            </span>
          )}
          {remaining !== undefined && (
            <span data-testid="job-eta">{i18n.t('ui_remaining', [formatDuration(remaining)])}</span>
          )}
          {!terminal && <span className="job-pct">{i18n.t('ui_percent', [pct])}</span>}
        </div>
        {job.status === 'error' && job.error && (
          <p className="job-error" data-testid="job-error">
            {job.error.nodeType !== undefined && (
              <strong className="job-error-node">{job.error.nodeType}</strong>
            )}
            {job.error.nodeType !== undefined && ' '}
            <span className="job-error-message">{job.error.message}</span>
          </p>
        )}
        {job.status === 'interrupted' && job.interruptedAt?.nodeType !== undefined && (
          <p className="job-note">{i18n.t('ui_interrupted_at', [job.interruptedAt.nodeType])}</p>
        )}
        {!terminal && onCancel && <CancelButton job={job} onCancel={onCancel} />}
      </div>
      {image !== undefined &&
        (terminal && thumbUrl !== undefined ? (
          <img
            className="job-image"
            data-testid="job-thumbnail"
            src={thumbUrl}
            alt={i18n.t('ui_thumbnail_alt')}
          />
        ) : (
          <img className="job-image" data-testid="job-preview" src={image} alt={i18n.t('ui_preview_alt')} />
        ))}
    </article>
  );
}
