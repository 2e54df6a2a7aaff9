/**
 * A reverse proxy in front of the simulator that wants a token, as ComfyUI-Login, an nginx with auth or
 * a team's TLS proxy does: `Authorization: Bearer <token>` or `?token=<token>`, else 401 (HTTP and the
 * WebSocket upgrade alike). It keeps the access log such a proxy keeps (method, path with query, how the
 * request was authenticated), which is what the header-token specs read: a token in a URL ends up there.
 *
 * Requests go through unchanged, `Host` and `Origin` included, so the simulator's origin check sees
 * what the proxy saw.
 */
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { closeServer, listenOnLoopback } from './static-site';

export interface AccessLogEntry {
  method: string;
  /** Path and query, as an access log writes them. */
  url: string;
  auth: 'header' | 'query' | 'none';
  upgrade: boolean;
  status: number;
}

export class AuthProxy {
  readonly log: AccessLogEntry[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(
    private readonly target: string,
    readonly token: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private authOf(
    headers: Record<string, string | string[] | undefined>,
    url: string,
  ): AccessLogEntry['auth'] {
    if (headers.authorization === `Bearer ${this.token}`) return 'header';
    const query = new URL(url, 'http://x').searchParams.get('token');
    return query === this.token ? 'query' : 'none';
  }

  async start(): Promise<string> {
    const target = new URL(this.target);
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      const auth = this.authOf(req.headers, url);
      const entry: AccessLogEntry = { method: req.method ?? 'GET', url, auth, upgrade: false, status: 401 };
      this.log.push(entry);
      if (auth === 'none') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":{"type":"unauthorized"}}');
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: url, headers: req.headers },
        (up) => {
          entry.status = up.statusCode ?? 502;
          res.writeHead(entry.status, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        entry.status = 502;
        res.destroy();
      });
      req.pipe(upstream);
    });
    server.on('upgrade', (req, socket, head) => {
      const url = req.url ?? '/';
      const auth = this.authOf(req.headers, url);
      const entry: AccessLogEntry = { method: 'GET', url, auth, upgrade: true, status: 401 };
      this.log.push(entry);
      if (auth === 'none') {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      entry.status = 101;
      const up = connect(Number(target.port), target.hostname, () => {
        const lines = [`${req.method} ${url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        up.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      for (const s of [up, socket as Socket]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          up.destroy();
          socket.destroy();
        });
      }
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.port = await listenOnLoopback(server);
    this.server = server;
    return this.url;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }
}
