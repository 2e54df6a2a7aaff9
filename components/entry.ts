import type { JobRecord } from '@/lib/ext/db';

/**
 * The UI contract every element that stands for a job carries (card, history row, gallery tile): tests,
 * the demo and the benchmarks find a job by `data-prompt-id` and read its `data-status`.
 */
export function entryProps(job: JobRecord, testid: 'job-card' | 'history-row' | 'gallery-item') {
  return {
    'data-testid': testid,
    'data-prompt-id': job.promptId,
    'data-status': job.status,
    'data-job-key': job.key,
  };
}
