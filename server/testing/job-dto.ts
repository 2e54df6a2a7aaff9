import type { JobDto } from '../repo/jobs';

let counter = 0;

/** A job as the API returns it (a finished extension job by default); override any field. */
export function makeJobDto(overrides: Partial<JobDto> = {}): JobDto {
  counter++;
  const t = 1_767_225_600_000 + counter * 1000;
  return {
    promptId: `00000000-0000-4000-9000-${String(counter).padStart(12, '0')}`,
    server: 'local',
    status: 'success',
    source: 'extension',
    own: true,
    clientId: 'ext-1',
    user: null,
    queuedBy: 'alice-laptop',
    number: counter,
    queuedAt: t,
    startedAt: t + 10,
    endedAt: t + 1510,
    createdAt: t,
    updatedAt: t + 1510,
    durationMs: 1500,
    currentNode: null,
    progress: 1,
    outputs: { '9': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] } },
    error: null,
    nodeErrors: null,
    webhookStatus: null,
    hasPreview: false,
    rev: counter,
    workflowName: null,
    client: null,
    currentClass: null,
    outputClasses: { '9': 'SaveImage' },
    ...overrides,
  };
}
