/**
 * A minimal stand-in for the ComfyUI frontend, for the tab-bridge specs of both browsers: its own socket
 * with its own clientId, re-dispatching each JSON frame on `window.app.api` as the real frontend does.
 * Runs inside the page before its scripts (Playwright `addInitScript`, puppeteer
 * `evaluateOnNewDocument`), so it may use nothing from this module's scope.
 *
 * It also models how the frontend queues the open workflow (ComfyUI_frontend's `app.queuePrompt`): the
 * workspace store is `app.extensionManager`, its `workflow.activeWorkflow.filename` the open workflow tab's
 * name; queueing POSTs `/prompt` with the tab's clientId and, once the server accepted it, dispatches
 * `promptQueued` on `app.api` with `{number, batchCount, requestId}` (no prompt ids, as current releases do).
 */
export function installFrontendStandIn(): void {
  const clientId = `tab${Math.random().toString(16).slice(2)}`;
  const api = new EventTarget();
  const ws = new WebSocket(`ws://${location.host}/ws?clientId=${clientId}`);
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return;
    const msg = JSON.parse(ev.data) as { type: string; data: unknown };
    api.dispatchEvent(new CustomEvent(msg.type, { detail: msg.data }));
  };
  const extensionManager = {
    workflow: { activeWorkflow: null as { filename: string; path: string } | null },
  };
  let requestId = 0;
  const queuePrompt = async (prompt: unknown): Promise<string> => {
    const res = await fetch('/prompt', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, client_id: clientId }),
    });
    const body = (await res.json()) as { prompt_id?: string; number?: number };
    if (!res.ok || !body.prompt_id) throw new Error(`POST /prompt answered ${res.status}`);
    api.dispatchEvent(
      new CustomEvent('promptQueued', {
        detail: { number: body.number ?? 0, batchCount: 1, requestId: ++requestId },
      }),
    );
    return body.prompt_id;
  };
  Object.assign(window, {
    app: { api, extensionManager, queuePrompt },
    __tabClientId: clientId,
    __tabSocket: ws,
  });
}

/** Opens a workflow tab named `name` in the stand-in, as the user would (runs in the page). */
export function standInOpenWorkflow(name: string): void {
  const app = (window as unknown as { app: { extensionManager: { workflow: { activeWorkflow: unknown } } } })
    .app;
  app.extensionManager.workflow.activeWorkflow = { filename: name, path: `workflows/${name}.json` };
}

/** Queues `prompt` from the stand-in as its Queue button would; resolves to the prompt id (runs in the page). */
export function standInQueue(prompt: unknown): Promise<string> {
  return (window as unknown as { app: { queuePrompt(p: unknown): Promise<string> } }).app.queuePrompt(prompt);
}

/** True once the stand-in's socket is open (runs in the page). */
export function standInConnected(): boolean {
  return (window as { __tabSocket?: WebSocket }).__tabSocket?.readyState === 1;
}

/** The stand-in's clientId (runs in the page). */
export function standInClientId(): string {
  return (window as { __tabClientId?: string }).__tabClientId as string;
}
