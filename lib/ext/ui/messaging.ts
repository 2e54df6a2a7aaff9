/**
 * The UI side of the typed protocol: `send('bg:cancelJob', {...})` is checked against `ProtocolMap`, so a
 * renamed message or a changed payload fails to compile in every page that uses it.
 *
 * It follows lib/ext/messaging.ts's convention (a handler that throws answers `{ error }`, which becomes a
 * thrown Error here, shown to the user as text) without importing that module: it loads zod at import time,
 * and zod would add ~95 kB to the popup's and side panel's startup bundle.
 */
import { browser } from 'wxt/browser';
import type { ProtocolKey, ProtocolMessage, ProtocolRequest, ProtocolResponse } from '../protocol';

export type Send = <K extends ProtocolKey>(
  type: K,
  payload: ProtocolRequest<K>,
) => Promise<ProtocolResponse<K>>;

export function isErrorAnswer(res: unknown): res is { error: unknown } {
  return typeof res === 'object' && res !== null && 'error' in res && Object.keys(res).length === 1;
}

export function createUiSender(raw: (message: ProtocolMessage) => Promise<unknown>): Send {
  return async (type, payload) => {
    const res = await raw({ type, payload } as ProtocolMessage);
    if (isErrorAnswer(res)) throw new Error(String(res.error));
    return res as never;
  };
}

export const sendRuntimeMessage: Send = createUiSender((message) => browser.runtime.sendMessage(message));
