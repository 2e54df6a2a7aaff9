/**
 * The UI side of the typed protocol: `send('bg:cancelJob', {...})` is checked against `ProtocolMap`, so a
 * renamed message or a changed payload fails to compile in every page that uses it.
 */
import { browser } from 'wxt/browser';
import type { ProtocolKey, ProtocolMessage, ProtocolRequest, ProtocolResponse } from '../protocol';

export type Send = <K extends ProtocolKey>(
  type: K,
  payload: ProtocolRequest<K>,
) => Promise<ProtocolResponse<K>>;

export const sendRuntimeMessage: Send = async (type, payload) => {
  const message: ProtocolMessage<typeof type> = { type, payload };
  return browser.runtime.sendMessage(message);
};
