// POST /v1/prompts: submit to a configured ComfyUI server and track the job from here.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiPrompt } from '../../lib/comfy/types';

export interface SubmitRequest {
  server: string;
  prompt: ApiPrompt;
  webhook?: string;
  previewMethod?: string;
  queuedBy: string;
  workflowName?: string;
  client?: string;
}

export interface SubmitResult {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
}

export interface JobStarter {
  /** Starts background work (adopting jobs whose instance went away). */
  start?(): void;
  submit(req: SubmitRequest): Promise<SubmitResult>;
  /** Stops tracking (sockets, timers); pending webhooks are abandoned. */
  close(): Promise<void>;
}
