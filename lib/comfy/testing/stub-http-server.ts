/**
 * Node-only test support (never imported by the library): a tiny HTTP server on 127.0.0.1:0 whose routes
 * a test sets per case, recording every request it gets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
    stub.routes = {};
    stub.seen = [];
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
