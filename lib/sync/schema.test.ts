// jobToRecord over every tracker state of the real recorded traces: each one must be a record the
// server's strict schema accepts (no drift between lib/comfy's JobState and the ingest contract).
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../comfy/testing/replay';
import { TRACE_NAMES } from '../comfy/testing/traces';
import { IngestBatchSchema, JobRecordSchema, jobToRecord } from './schema';

describe.each(TRACE_NAMES)('jobToRecord over the %s trace', (name) => {
  it('maps every intermediate and final job state to a valid ingest record', () => {
    const { steps, state } = replayTrace(name, {
      conns: ['submitter', 'submitter#2', 'observer'],
      announce: true,
    });
    let checked = 0;
    for (const step of steps) {
      for (const job of Object.values(step.state.jobs)) {
        const parsed = JobRecordSchema.safeParse(jobToRecord('http://127.0.0.1:8188', job, 'ana'));
        if (!parsed.success) throw new Error(`${name} @${step.line.t_ms}: ${parsed.error.message}`);
        checked++;
      }
    }
    const final = Object.values(state.jobs).map((j) => jobToRecord('local', j));
    expect(IngestBatchSchema.parse({ records: final }).records.length).toBe(Object.keys(state.jobs).length);
    for (const r of final) {
      const job = state.jobs[r.promptId]!;
      expect(r).toMatchObject({ status: job.status, progress: job.progress, currentNode: job.currentNode });
      expect(r.nodes).toHaveLength(Object.keys(job.nodes).length);
    }
    expect(checked).toBeGreaterThan(0);
  });
});
