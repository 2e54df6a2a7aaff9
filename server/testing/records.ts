import type { JobRecord } from '../../lib/sync/schema';

let counter = 0;

/** A plausible finished job record; override any field. */
export function makeRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  counter++;
  const t = 1_767_225_600_000 + counter * 1000;
  return {
    server: 'local',
    promptId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    status: 'success',
    own: true,
    clientId: 'ext-1',
    queuedAt: t,
    startedAt: t + 10,
    endedAt: t + 500,
    updatedAt: t + 500,
    currentNode: null,
    progress: 1,
    outputs: { '9': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] } },
    nodes: [
      { nodeId: '4', classType: 'CheckpointLoaderSimple', state: 'cached', cached: true },
      {
        nodeId: '3',
        classType: 'KSampler',
        state: 'finished',
        cached: false,
        startedAt: t + 20,
        endedAt: t + 420,
        durationMs: 400,
      },
    ],
    ...overrides,
  };
}
