/**
 * Cancel exactly one job, never another. The single place that decides how, shared by `ComfyClient`
 * and the extension engine.
 */
import type { ComfyHttp } from './http';

/** The part of `ComfyHttp` a cancel needs (narrow, so tests and other transports can supply it). */
export type CancelHttp = Pick<ComfyHttp, 'cancelJob' | 'queue' | 'interrupt' | 'deletePending'>;

export type CancelResult =
  | { cancelled: true; method: 'jobs-cancel' | 'interrupt' | 'delete' }
  /**
   * `refused`: the atomic jobs endpoint answered that it cancelled nothing (finished or unknown);
   * `absent`: the job is neither running nor pending in `/queue`, so nothing was sent.
   */
  | { cancelled: false; reason: 'refused' | 'absent' };

/**
 * The jobs cancel endpoint where the server has it (atomic); otherwise `/queue` first, then
 * interrupt-with-prompt_id only if the job is the running one, or `POST /queue {delete}` if it is
 * pending. Errors of the requests propagate.
 */
export async function cancelExactly(http: CancelHttp, promptId: string): Promise<CancelResult> {
  const atomic = await http.cancelJob(promptId);
  if (atomic !== undefined) {
    return atomic ? { cancelled: true, method: 'jobs-cancel' } : { cancelled: false, reason: 'refused' };
  }
  const queue = await http.queue();
  if (queue.running.some((i) => i.promptId === promptId)) {
    // Confirmed running just now. Servers before Sep 2025 ignore the id and stop whatever runs,
    // which is this job: the check is what makes that safe.
    await http.interrupt(promptId);
    return { cancelled: true, method: 'interrupt' };
  }
  if (queue.pending.some((i) => i.promptId === promptId)) {
    await http.deletePending([promptId]);
    return { cancelled: true, method: 'delete' };
  }
  return { cancelled: false, reason: 'absent' };
}
