/**
 * The isolated-world half of the tab bridge: accepts tap messages from this page's own window only,
 * validates their shape, and forwards them to the engine. The engine trusts nothing here beyond "this
 * page says so": it accepts frames only from a page whose origin is a configured server, and decodes
 * them with the same lenient parser as its own socket's frames.
 */
// zod/mini: this runs on every loopback page, where the full zod bundle would cost ~90 kB of parsing
import { z } from 'zod/mini';
import { PREVIEW_FRAME, TAP_SOURCE, TAPPED_TYPES } from './tap';

const MAX_FRAMES = 500;

const tapMessage = z.object({
  source: z.literal(TAP_SOURCE),
  frames: z
    .array(
      z.object({ type: z.enum([...TAPPED_TYPES, PREVIEW_FRAME]), data: z.record(z.string(), z.unknown()) }),
    )
    .check(z.maxLength(MAX_FRAMES)),
});

export interface RelayWindow {
  addEventListener(type: 'message', cb: (e: MessageEvent) => void): void;
}

export function createRelay(
  win: RelayWindow & object,
  forward: (frames: { type: string; data: Record<string, unknown> }[]) => Promise<unknown>,
): void {
  win.addEventListener('message', (e: MessageEvent) => {
    if (e.source !== win) return;
    const m = tapMessage.safeParse(e.data);
    if (!m.success || m.data.frames.length === 0) return;
    void forward(m.data.frames).catch(() => undefined);
  });
}
