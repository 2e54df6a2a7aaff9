/**
 * The isolated-world half of the tab bridge: accepts tap messages from this page's own window only,
 * validates their shape, and forwards them to the engine through the typed protocol
 * (`engine:tabFrames`, `engine:tabReconnected`). The engine trusts nothing here beyond "this page says
 * so": it acts only for a page whose origin is a configured server, and decodes frames with the same
 * lenient parser as its own socket's.
 */
// zod/mini: this runs in every server tab, where the full zod bundle would cost ~90 kB of parsing
import { z } from 'zod/mini';
import type { ProtocolRequest, ProtocolResponse } from '../protocol';
import { tabFramesSchema } from './schema';
import { TAP_SOURCE } from './tap';

const framesMessage = z.object({ source: z.literal(TAP_SOURCE), frames: tabFramesSchema });

const reconnectedMessage = z.object({ source: z.literal(TAP_SOURCE), reconnected: z.literal(true) });

type RelayKey = 'engine:tabFrames' | 'engine:tabReconnected';

/** The typed sender of the content script (`sendRuntimeMessage`), narrowed to what the bridge sends. */
export type RelaySend = <K extends RelayKey>(
  type: K,
  payload: ProtocolRequest<K>,
) => Promise<ProtocolResponse<K>>;

export interface RelayWindow {
  addEventListener(type: 'message', cb: (e: MessageEvent) => void): void;
}

export function createRelay(win: RelayWindow & object, send: RelaySend): void {
  win.addEventListener('message', (e: MessageEvent) => {
    if (e.source !== win) return;
    const frames = framesMessage.safeParse(e.data);
    if (frames.success && frames.data.frames.length > 0) {
      void send('engine:tabFrames', { frames: frames.data.frames }).catch(() => undefined);
      return;
    }
    // the engine may be down (the page outlives it): a lost signal costs only the shortcut
    if (reconnectedMessage.safeParse(e.data).success)
      void send('engine:tabReconnected', {}).catch(() => undefined);
  });
}
