/**
 * Who may send which message: the one place that decides (issue 8). Every `runtime.onMessage` dispatcher
 * (`createDispatcher`) asks it before any handler runs, and a refused message gets no answer at all.
 *
 * - `bg:` and `engine:` messages come from the extension's own pages only: the popup, the side panel, the
 *   options page, the offscreen document and the service worker, whose URLs all start with the
 *   extension's base URL (`chrome-extension://<id>/`, `moz-extension://<uuid>/`). A content script's
 *   sender URL is the page it runs in, so a script injected into any web page, the ComfyUI tab included,
 *   can never save a server, run the doctor or cancel a job.
 * - The tab bridge's messages (`engine:tab…`) are the one exception: they come from a content script,
 *   so they are taken only from a tab (`sender.tab`) whose page belongs to a configured server, and their
 *   payload is validated and size-capped before a handler sees it (`lib/ext/bridge/schema.ts`).
 *
 * `runtime.onMessage` never carries another extension's messages (those arrive on `onMessageExternal`,
 * which the extension does not listen to), so the sender's extension id needs no check here.
 */
import type { MessageSender } from './messaging';
import type { ProtocolKey } from './protocol';

/** The messages a content script (the tab bridge) may send. New ones must be named `engine:tab…`. */
export type TabMessageKey = Extract<ProtocolKey, `engine:tab${string}`>;

export function isTabMessage(type: string): type is TabMessageKey {
  return type.startsWith('engine:tab');
}

export type SenderKind = 'extension' | 'server-tab' | 'other';

export interface SenderPolicyDeps {
  /** The extension's base URL with its trailing slash: `runtime.getURL('/')`. */
  extensionBase: string;
  /** Whether a page at this URL belongs to a configured server; absent where no tab message is handled. */
  isServerPage?(url: string): boolean;
}

export type SenderPolicy = (type: string, sender: MessageSender) => boolean;

/** What a sender is, from what the browser (not the sender) reports about it. */
export function senderKind(deps: SenderPolicyDeps, sender: MessageSender): SenderKind {
  const url = sender.url;
  if (typeof url !== 'string') return 'other';
  if (url.startsWith(deps.extensionBase)) return 'extension';
  if (!sender.tab || !/^https?:\/\//.test(url)) return 'other';
  return deps.isServerPage?.(url) ? 'server-tab' : 'other';
}

export function senderPolicy(deps: SenderPolicyDeps): SenderPolicy {
  if (!deps.extensionBase.endsWith('/')) throw new Error('extensionBase must end with a slash');
  return (type, sender) => {
    const kind = senderKind(deps, sender);
    return isTabMessage(type) ? kind === 'server-tab' : kind === 'extension';
  };
}

/** The sender's origin, for a log line: never its full URL, whose query may carry a token. */
export function senderOrigin(sender: MessageSender): string {
  try {
    return sender.url ? new URL(sender.url).origin : 'unknown';
  } catch {
    return 'unknown';
  }
}
