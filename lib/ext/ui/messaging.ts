/**
 * The UI side of the typed protocol: `send('bg:cancelJob', {...})` is checked against `ProtocolMap`, so a
 * renamed message or a changed payload fails to compile in every page that uses it.
 *
 * A handler that throws answers `{ error }`, which becomes a thrown Error here, shown to the user as text
 * (`error-answer.ts`). It does not import lib/ext/messaging.ts: that loads zod at import time, and zod would
 * add ~95 kB to the popup's and side panel's startup bundle.
 */
import { browser } from 'wxt/browser';
import { unwrapAnswer } from '../error-answer';
import type { ProtocolKey, ProtocolMessage, ProtocolRequest, ProtocolResponse } from '../protocol';

export type Send = <K extends ProtocolKey>(
  type: K,
  payload: ProtocolRequest<K>,
) => Promise<ProtocolResponse<K>>;

export function createUiSender(raw: (message: ProtocolMessage) => Promise<unknown>): Send {
  return async (type, payload) => unwrapAnswer(await raw({ type, payload } as ProtocolMessage));
}

export const sendRuntimeMessage: Send = createUiSender((message) => browser.runtime.sendMessage(message));
