/**
 * A minimal stand-in for the ComfyUI frontend, for the tab-bridge specs of both browsers: its own socket
 * with its own clientId, re-dispatching each JSON frame on `window.app.api` as the real frontend does.
 * Runs inside the page before its scripts (Playwright `addInitScript`, puppeteer
 * `evaluateOnNewDocument`), so it may use nothing from this module's scope.
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
  Object.assign(window, { app: { api }, __tabClientId: clientId, __tabSocket: ws });
}

/** True once the stand-in's socket is open (runs in the page). */
export function standInConnected(): boolean {
  return (window as { __tabSocket?: WebSocket }).__tabSocket?.readyState === 1;
}

/** The stand-in's clientId (runs in the page). */
export function standInClientId(): string {
  return (window as { __tabClientId?: string }).__tabClientId as string;
}
