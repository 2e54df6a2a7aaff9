/** A minimal recording WebSocket client for the simulator's behaviour tests. */
import WebSocket from 'ws';

export type Frame =
  | { kind: 'text'; type: string; data: Record<string, unknown> & { prompt_id?: string } }
  | { kind: 'binary'; eventType: number; bytes: Buffer };

export interface TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  readonly closed: Promise<number>;
  /** Resolves with the first frame (at or after index `from`) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs?: number, from?: number): Promise<Frame>;
  texts(type?: string): Extract<Frame, { kind: 'text' }>[];
  send(value: unknown): void;
  close(): Promise<number>;
}

export function connect(
  baseUrl: string,
  clientId?: string,
  headers: Record<string, string> = {},
  path = '/ws',
): Promise<TestClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}${path}${clientId !== undefined ? `?clientId=${clientId}` : ''}`;
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) frames.push({ kind: 'binary', eventType: buf.readUInt32BE(0), bytes: buf });
    else {
      const msg = JSON.parse(buf.toString('utf8')) as { type: string; data: Record<string, unknown> };
      frames.push({ kind: 'text', type: msg.type, data: msg.data });
    }
    for (const w of [...waiters]) w();
  });
  const client: TestClient = {
    ws,
    frames,
    closed,
    waitFor(pred, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.slice(from).find(pred);
          if (f) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(f);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timeout waiting for frame; got ${frames.map((f) => (f.kind === 'text' ? f.type : `bin${f.eventType}`)).join(',')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    texts(type) {
      return frames.filter(
        (f): f is Extract<Frame, { kind: 'text' }> => f.kind === 'text' && (!type || f.type === type),
      );
    },
    send(value) {
      ws.send(typeof value === 'string' ? value : JSON.stringify(value));
    },
    async close() {
      if (ws.readyState === WebSocket.OPEN) ws.close();
      return closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Attempts a WS handshake and returns the HTTP status (101 on success) and the response headers. */
export function handshakeStatus(
  baseUrl: string,
  headers: Record<string, string>,
  path = '/ws',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, {
      headers,
      perMessageDeflate: false,
    });
    ws.once('upgrade', (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!ws.readyState || ws.readyState === WebSocket.CLOSED) reject(err);
    });
  });
}

export const isType =
  (type: string, promptId?: string) =>
  (f: Frame): boolean =>
    f.kind === 'text' && f.type === type && (promptId === undefined || f.data.prompt_id === promptId);
