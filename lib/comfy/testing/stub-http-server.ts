/**
 * Node-only test support (never imported by the library): a tiny HTTP server on 127.0.0.1:0 whose routes
 * a test sets per case, recording every request it gets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export type StubHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface StubHttpServer {
  base: string;
  /** Keyed by `"METHOD /path"`; anything else gets aiohttp's plain-text 404. */
  routes: Record<string, StubHandler>;
  seen: SeenRequest[];
  reset(): void;
  close(): Promise<void>;
}

export async function startStubHttpServer(): Promise<StubHttpServer> {
  const stub = { routes: {}, seen: [] } as unknown as StubHttpServer;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      stub.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const h = stub.routes[`${req.method} ${new URL(req.url!, 'http://x').pathname}`];
      if (h) h(req, res, body);
      else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404: Not Found');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stub.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.reset = () => {
    for (const k of Object.keys(stub.routes)) delete stub.routes[k];
    stub.seen.length = 0;
  };
  stub.close = () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  return stub;
}

export const jsonReply =
  (status: number, body: unknown): StubHandler =>
  (_q, res) => {
    res
      .writeHead(status, { 'Content-Type': 'application/json' })
      .end(typeof body === 'string' ? body : JSON.stringify(body));
  };

/** A port nothing listens on (for connection-refused cases). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * One stub server for a test file: started before all tests, emptied (routes and records) before each,
 * closed after all. The returned object is stable; `base` is set once the server listens.
 */
export function stubHttpServerForFile(): StubHttpServer {
  const handle = { routes: {}, seen: [] } as unknown as StubHttpServer;
  let server: StubHttpServer | undefined;
  beforeAll(async () => {
    server = await startStubHttpServer();
    server.routes = handle.routes;
    server.seen = handle.seen;
    Object.assign(handle, { base: server.base, reset: server.reset, close: server.close });
  });
  afterAll(() => server?.close());
  beforeEach(() => handle.reset());
  return handle;
}
