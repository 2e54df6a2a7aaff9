/**
 * An HTTP proxy in front of the sync server that the test can take down (connections refused, as when the
 * endpoint is offline) and that can lose a response after the server committed it: the case where an
 * uploader must retry and the server must not count the batch twice.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Headers that describe one connection or the body's encoding as fetch() received it, not the answer. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
]);

export interface ForwardedRequest {
  method: string;
  path: string;
  status: number;
  /** The parsed request body when it was JSON. */
  body: unknown;
  /** True when the server answered but the proxy cut the connection instead of passing the answer on. */
  responseDropped: boolean;
}

export class FlakyProxy {
  readonly forwarded: ForwardedRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private dropResponses = 0;
  private port = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again) on the same port as before, or a free one the first time. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.forward(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  /** The outage: the port refuses connections until `start()`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `n` answers from the server are swallowed and the client's connection is cut. */
  dropNextResponses(n: number): void {
    this.dropResponses = n;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const headers = new Headers();
    for (const name of ['authorization', 'content-type', 'accept']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers.set(name, v);
    }
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const upstream = await fetch(this.target + (req.url ?? '/'), {
      method: req.method ?? 'GET',
      headers,
      ...(raw.length && req.method !== 'GET' && req.method !== 'HEAD' ? { body: raw } : {}),
    }).catch(() => undefined);
    if (!upstream) {
      res.writeHead(502).end();
      return;
    }
    const answer = Buffer.from(await upstream.arrayBuffer());
    const drop = this.dropResponses > 0 && req.method === 'POST';
    if (drop) this.dropResponses--;
    this.forwarded.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: upstream.status,
      body,
      responseDropped: drop,
    });
    if (drop) {
      req.socket.destroy();
      return;
    }
    // The server's own headers pass through (its X-ComfyPulse mark included), as a transparent proxy's do.
    const passed: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) passed[name] = value;
    });
    res.writeHead(upstream.status, passed);
    res.end(answer);
  }
}
