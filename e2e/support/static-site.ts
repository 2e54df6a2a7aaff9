/**
 * A web site on a loopback port that is no configured server: the page an attacker controls, or just
 * another local app (n8n, a dev server). Answers every path with one page (or one bare status) and counts
 * the requests it gets, so a spec can also use it as the "any URL" a hostile script would point the
 * doctor at.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free port of 127.0.0.1 (test servers bind to loopback only); resolves the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes a server without waiting for its keep-alive connections. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export class StaticSite {
  readonly requests: string[] = [];
  private server: Server | undefined;
  private port = 0;

  /** `status` other than 200 answers with an empty body (`403`: ComfyUI's origin refusal). */
  constructor(
    private readonly answer: { html?: string; status?: number } = {
      html: '<!doctype html><title>another local app</title><p>hello</p>',
    },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      const status = this.answer.status ?? 200;
      res.writeHead(status, status === 200 ? { 'content-type': 'text/html; charset=utf-8' } : {});
      res.end(status === 200 ? this.answer.html : undefined);
    });
    this.port = await listenOnLoopback(server);
    this.server = server;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }
}
