/**
 * The shape and the size limits of what the tab bridge sends (`engine:tabFrames`). The relay checks it
 * before sending (so a page cannot make it post garbage), and the engine checks it again on receipt: the
 * engine is the trust boundary, and a message could come from any content script of a server's tab.
 */
// zod/mini: the relay runs in every server tab, where the full zod bundle would cost ~90 kB of parsing
import { z } from 'zod/mini';
import { PREVIEW_FRAME, TAP_PREVIEW_MAX_BYTES, TAPPED_TYPES, WORKFLOW_FRAME } from './tap';

/** At most this many frames per message (the tap flushes every 30 ms, so a burst is far smaller). */
export const MAX_TAB_FRAMES = 500;

/**
 * The serialised size a whole `engine:tabFrames` payload may have: one preview at the tap's cap
 * (base64 is 4/3 of the bytes) plus ample room for the JSON frames of one batch.
 */
export const MAX_TAB_MESSAGE_CHARS = Math.ceil((TAP_PREVIEW_MAX_BYTES * 4) / 3) + 1024 * 1024;

export const tabFrameSchema = z.object({
  type: z.enum([...TAPPED_TYPES, PREVIEW_FRAME, WORKFLOW_FRAME]),
  data: z.record(z.string(), z.unknown()),
});

export const tabFramesSchema = z.array(tabFrameSchema).check(z.maxLength(MAX_TAB_FRAMES));

export type TabFrame = z.infer<typeof tabFrameSchema>;

/** The frames of an `engine:tabFrames` payload when it is well-formed and within the size cap, else null. */
export function parseTabFrames(payload: unknown): TabFrame[] | null {
  let size: number;
  try {
    size = JSON.stringify(payload)?.length ?? 0;
  } catch {
    return null; // cycles or BigInts: a runtime message cannot carry them anyway
  }
  if (size > MAX_TAB_MESSAGE_CHARS) return null;
  const parsed = z.object({ frames: tabFramesSchema }).safeParse(payload);
  return parsed.success ? parsed.data.frames : null;
}
