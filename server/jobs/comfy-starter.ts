// Placeholder until lib/comfy's client lands; replaced in a later commit of this series.
import type { JobStarter, SubmitRequest, SubmitResult } from './starter';

export class ComfyJobStarter implements JobStarter {
  constructor(_deps: unknown) {}
  async submit(_req: SubmitRequest): Promise<SubmitResult> {
    return { status: 503, body: { error: { code: 'not_ready', message: 'Job start is not available yet' } } };
  }
  async close(): Promise<void> {}
}
