/**
 * Typed dispatch of `ProtocolMap` messages for the background contexts. A context registers handlers for
 * its own prefix (`bg:` in the service worker, `engine:` in the offscreen engine) and stays silent on
 * every other message, so the one context that owns a message is the one that answers it. It also stays
 * silent on a message its sender policy (`sender-policy.ts`) refuses: the sender gets no answer.
 */
import { z } from 'zod';
import { errorAnswer } from './error-answer';
import type { ProtocolKey, ProtocolRequest, ProtocolResponse } from './protocol';
import type { SenderPolicy } from './sender-policy';

/** What the browser reports about a message's sender (`runtime.MessageSender`); never set by the sender. */
export interface MessageSender {
  tab?: { id?: number; windowId?: number };
  url?: string;
  id?: string;
}

export type Handler<K extends ProtocolKey> = (
  req: ProtocolRequest<K>,
  sender: MessageSender,
) => Promise<ProtocolResponse<K>> | ProtocolResponse<K>;

export type Handlers<P extends string> = {
  [K in ProtocolKey as K extends `${P}${string}` ? K : never]?: Handler<K>;
};

const envelope = z.object({ type: z.string(), payload: z.unknown() });

export interface DispatchOptions {
  /** Whether this sender may send this message type; a refused one is never answered. */
  accept: SenderPolicy;
  onError?(type: string, e: unknown): void;
  /** A message of ours the policy refused (say what and from where; never log the payload). */
  onRefused?(type: string, sender: MessageSender): void;
}

/**
 * A `runtime.onMessage` listener for `handlers`. Returns true (keeps the channel open for the async
 * answer) only for a message it handles from a sender its policy accepts; a handler that throws answers
 * `{ error }` (`error-answer.ts`).
 */
export function createDispatcher<P extends string>(
  prefix: P,
  handlers: Handlers<P>,
  options: DispatchOptions,
) {
  return (message: unknown, sender: MessageSender, sendResponse: (r: unknown) => void): true | undefined => {
    const m = envelope.safeParse(message);
    if (!m.success || !m.data.type.startsWith(prefix)) return undefined;
    const handler = (handlers as Record<string, Handler<ProtocolKey> | undefined>)[m.data.type];
    if (!handler) return undefined;
    if (!options.accept(m.data.type, sender)) {
      options.onRefused?.(m.data.type, sender);
      return undefined;
    }
    Promise.resolve()
      .then(() => handler((m.data.payload ?? {}) as never, sender))
      .then(sendResponse, (e: unknown) => {
        options.onError?.(m.data.type, e);
        sendResponse(errorAnswer(e));
      });
    return true;
  };
}
