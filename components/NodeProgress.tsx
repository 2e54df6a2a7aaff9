/** Per-node progress and timings of a running job, from the tracker's `nodes` (execution order). */
import { i18n } from '#i18n';
import type { NodeRun } from '@/lib/comfy/types';
import type { JobRecord } from '@/lib/ext/db';
import { formatSeconds } from '@/lib/ext/ui/format';
import { ProgressBar } from './ProgressBar';

export function orderedNodes(job: JobRecord): NodeRun[] {
  return Object.values(job.nodes).sort(
    (a, b) => (a.startedAt ?? Number.NEGATIVE_INFINITY) - (b.startedAt ?? Number.NEGATIVE_INFINITY),
  );
}

function nodeStateLabel(n: NodeRun): string {
  switch (n.state) {
    case 'cached':
      return i18n.t('ui_node_cached');
    case 'running':
      return i18n.t('ui_node_running');
    case 'error':
      return i18n.t('ui_node_error');
    default:
      return i18n.t('ui_node_finished');
  }
}

export function NodeProgress({ job, now }: { job: JobRecord; now: number }) {
  const nodes = orderedNodes(job);
  if (nodes.length === 0) return null;
  return (
    <table className="node-table" data-testid="node-progress">
      <caption>{i18n.t('ui_node_progress')}</caption>
      <thead>
        <tr>
          <th scope="col">{i18n.t('ui_col_node')}</th>
          <th scope="col">{i18n.t('ui_col_state')}</th>
          <th scope="col">{i18n.t('ui_col_duration')}</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((n) => {
          const cls = n.classType ?? job.classTypes[n.nodeId] ?? i18n.t('ui_node_id', [n.nodeId]);
          const duration =
            n.durationMs ??
            (n.state === 'running' && n.startedAt !== undefined ? now - n.startedAt : undefined);
          return (
            <tr key={n.nodeId} data-testid="node-progress-row" data-node-id={n.nodeId} data-state={n.state}>
              <td>
                <span className="node-class">{cls}</span>
                {n.state === 'running' && n.max !== undefined && n.max > 0 && (
                  <ProgressBar value={n.value ?? 0} max={n.max} label={i18n.t('ui_progress_label', [cls])} />
                )}
              </td>
              <td>{nodeStateLabel(n)}</td>
              <td className="num">
                {duration !== undefined ? i18n.t('ui_seconds', [formatSeconds(duration)]) : ''}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
