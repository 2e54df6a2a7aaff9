/**
 * A job in full: its card, its timelapse, the error with the traceback (as text in <pre>), the per-node
 * timing chart (with each class's usual time) and table, and the outputs gallery. Node names, class types, messages, tracebacks and filenames are remote strings and
 * are only ever rendered as React text.
 */
import { i18n } from '#i18n';
import { jobOutputFiles } from '@/lib/comfy/outputs';
import type { JobError, NodeId } from '@/lib/comfy/types';
import type { JobRecord, NodeRunRecord } from '@/lib/ext/db';
import type { PublicServer } from '@/lib/ext/storage/repo';
import { formatSeconds } from '@/lib/ext/ui/format';
import { useClassMedians, useJob, useNodeRuns, useNow, useServerMap } from '@/lib/ext/ui/hooks';
import { isImageOutput, viewUrl } from '@/lib/ext/ui/outputs';
import { LiveJobCard } from './LiveJobCard';
import { NodeTimingChart } from './NodeTimingChart';
import { TimelapseView } from './Timelapse';

export interface TimingRow {
  nodeId: NodeId;
  classType: string | undefined;
  /** ms since the job started, when known. */
  offsetMs: number | undefined;
  durationMs: number | undefined;
  cached: boolean;
}

/**
 * Timing rows: the stored node runs, completed by the tracker's nodes that have no stored run yet (the
 * node running now, or the one that failed), so the table always lists every node the job reached.
 */
export function timingRows(job: JobRecord, runs: readonly NodeRunRecord[]): TimingRow[] {
  const start = job.startedAt;
  const stored = new Set(runs.map((r) => r.nodeId));
  const source = [...runs, ...Object.values(job.nodes).filter((n) => !stored.has(n.nodeId))];
  return source
    .map((r) => ({
      nodeId: r.nodeId,
      classType: r.classType ?? job.classTypes[r.nodeId],
      offsetMs: r.startedAt !== undefined && start !== undefined ? r.startedAt - start : undefined,
      durationMs: r.durationMs,
      cached: r.cached,
    }))
    .sort((a, b) => (a.offsetMs ?? Number.NEGATIVE_INFINITY) - (b.offsetMs ?? Number.NEGATIVE_INFINITY));
}

export function NodeTimingTable({ rows }: { rows: readonly TimingRow[] }) {
  if (rows.length === 0) return <p className="muted">{i18n.t('ui_no_node_timings')}</p>;
  return (
    <table className="node-table" data-testid="node-timing-table">
      <thead>
        <tr>
          <th scope="col">{i18n.t('ui_col_class_type')}</th>
          <th scope="col">{i18n.t('ui_col_start')}</th>
          <th scope="col">{i18n.t('ui_col_duration')}</th>
          <th scope="col">{i18n.t('ui_col_cached')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr
            key={r.nodeId}
            data-testid="node-timing-row"
            data-node-id={r.nodeId}
            data-cached={String(r.cached)}
          >
            <td>
              <span className="node-class">{r.classType ?? i18n.t('ui_node_id', [r.nodeId])}</span>
              {r.classType !== undefined && (
                <span className="node-id">{i18n.t('ui_node_hash', [r.nodeId])}</span>
              )}
            </td>
            <td className="num">
              {r.offsetMs !== undefined ? i18n.t('ui_offset', [formatSeconds(r.offsetMs)]) : ''}
            </td>
            <td className="num">
              {r.durationMs !== undefined ? i18n.t('ui_seconds', [formatSeconds(r.durationMs)]) : ''}
            </td>
            <td>{r.cached ? i18n.t('ui_yes') : i18n.t('ui_no')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ErrorDetail({ error }: { error: JobError }) {
  return (
    <section className="section error-detail" data-testid="job-error-detail">
      <h3 className="section-title">{i18n.t('ui_error')}</h3>
      {(error.nodeType !== undefined || error.nodeId !== undefined) && (
        <p>{i18n.t('ui_failed_node', [error.nodeType ?? '?', error.nodeId ?? '?'])}</p>
      )}
      <p className="error-message" data-testid="job-error-message">
        {error.exceptionType !== undefined && <strong>{error.exceptionType}</strong>}
        {error.exceptionType !== undefined && ': '}
        {error.message}
      </p>
      {error.traceback.length > 0 && (
        <details open>
          <summary>{i18n.t('ui_traceback')}</summary>
          <pre className="traceback" data-testid="job-traceback">
            {error.traceback.join('')}
          </pre>
        </details>
      )}
    </section>
  );
}

export function OutputsGallery({ job, server }: { job: JobRecord; server: PublicServer | undefined }) {
  const files = jobOutputFiles(job.outputs);
  if (files.length === 0) return null;
  return (
    <section className="section" data-testid="job-outputs">
      <h3 className="section-title">{i18n.t('ui_outputs')}</h3>
      <ul className="gallery">
        {files.map((o) => {
          const url = server ? viewUrl(server.url, o.file) : undefined;
          const key = `${o.nodeId}/${o.kind}/${o.file.subfolder}/${o.file.filename}`;
          return (
            <li key={key}>
              {url !== undefined && isImageOutput(o) ? (
                <a href={url} target="_blank" rel="noreferrer" title={i18n.t('ui_open_full_image')}>
                  <img data-testid="job-output-image" src={url} alt={o.file.filename} loading="lazy" />
                </a>
              ) : url !== undefined ? (
                <a href={url} target="_blank" rel="noreferrer" data-testid="job-output-file">
                  {o.file.filename}
                </a>
              ) : (
                <span data-testid="job-output-file">{o.file.filename}</span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function NodeTimings({ job, runs }: { job: JobRecord; runs: readonly NodeRunRecord[] }) {
  const rows = timingRows(job, runs);
  const classes = rows.flatMap((r) => (r.classType !== undefined ? [r.classType] : []));
  const medians = useClassMedians(classes, job.key);
  const chart = rows.some((r) => !r.cached && r.durationMs !== undefined);
  return (
    <section className="section">
      <h3 className="section-title">{i18n.t('ui_node_timings')}</h3>
      {chart && <NodeTimingChart rows={rows} medians={medians ?? new Map()} />}
      {chart ? (
        <details className="node-table-details">
          <summary>{i18n.t('ui_node_timings_table')}</summary>
          <NodeTimingTable rows={rows} />
        </details>
      ) : (
        <NodeTimingTable rows={rows} />
      )}
    </section>
  );
}

export function JobDetail({
  job,
  runs,
  server,
  now,
}: {
  job: JobRecord;
  runs: readonly NodeRunRecord[];
  server: PublicServer | undefined;
  now: number;
}) {
  return (
    <div className="job-detail" data-testid="job-detail" data-job-key={job.key}>
      <LiveJobCard job={job} now={now} server={server} large />
      <TimelapseView job={job} />
      {job.error && <ErrorDetail error={job.error} />}
      <NodeTimings job={job} runs={runs} />
      <OutputsGallery job={job} server={server} />
    </div>
  );
}

export function JobDetailView({ jobKey, onBack }: { jobKey: string; onBack(): void }) {
  const job = useJob(jobKey);
  const runs = useNodeRuns(jobKey);
  const servers = useServerMap();
  const now = useNow();
  return (
    <>
      <button type="button" className="btn btn-ghost" data-testid="job-back" onClick={onBack}>
        {i18n.t('ui_back')}
      </button>
      {job === undefined ? (
        <p className="muted">{i18n.t('ui_loading')}</p>
      ) : job === null ? (
        <p className="muted" data-testid="job-not-found">
          {i18n.t('ui_job_not_found')}
        </p>
      ) : (
        <JobDetail job={job} runs={runs ?? []} server={servers.get(job.serverId)} now={now} />
      )}
    </>
  );
}
