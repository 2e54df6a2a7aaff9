/**
 * WebSocket sessions as ComfyUI's `websocket_handler` keeps them: the upgrade (only `/ws` and `/api/ws`,
 * behind the same origin guard as HTTP), registration in the routing table under the `clientId` query
 * parameter, the greetings sent directly from the handler, first-message-only feature flags, and the
 * publish queue that every other event leaves through.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { emptyResponse, notFound, rawResponse, SERVER_HEADER } from './http';
import { type GuardOptions, guardVerdict } from './origin';
import type { PromptServer } from './prompt-server';
import { pyLoads, pyRepr, pyStr } from './pyjson';

/** `/features` and the `feature_flags` reply: the server's side of the negotiation. */
export const SERVER_FEATURES = { supports_preview_metadata: true, max_upload_size: 104857600 };

/** One accepted WebSocket connection, bound to the PromptServer that accepted it. */
export interface Conn {
  ws: WebSocket;
  socket: Socket;
  sid: string;
  server: PromptServer;
  /** A zombie (fault injection): open, reads paused, never written to again. */
  stalled: boolean;
  firstMessage: boolean;
}

/** Writes one frame; a dying or stalled socket drops it silently, like `send_socket_catch_exception`. */
export function sendFrame(conn: Conn, data: string | Buffer): void {
  if (conn.stalled || conn.ws.readyState !== WebSocket.OPEN) return;
  conn.ws.send(data, () => {
    // send_socket_catch_exception: errors on a dying socket are logged, never raised.
  });
}

/**
 * `PromptServer.publish_loop`: one FIFO for every `send_sync`. The target sid is resolved when the frame
 * is sent, not when it was queued (a socket that registers in between receives it). Previews are encoded
 * inside the loop on the real server, so they leave one event-loop tick later than the text before them.
 */
export class PublishQueue {
  private readonly items: { payload: string | Buffer; sid: string | null; encode: boolean }[] = [];
  private draining = false;

  constructor(private readonly deliver: (payload: string | Buffer, sid: string | null) => void) {}

  push(payload: string | Buffer, sid: string | null, encode: boolean): void {
    this.items.push({ payload, sid, encode });
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const item = this.items.shift()!;
      if (item.encode) await new Promise((r) => setImmediate(r));
      this.deliver(item.payload, item.sid);
    }
    this.draining = false;
  }
}

/** What the sessions need from the server around them. */
export interface SessionHost {
  readonly opts: GuardOptions;
  /** The PromptServer of the current run of the process (replaced by a restart). */
  readonly promptServer: PromptServer;
  log(line: string): void;
}

/** Every open connection across restarts (evicted and zombie ones included), and the upgrade handler. */
export class Sessions {
  readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4 * 1024 * 1024,
    perMessageDeflate: true,
  });
  readonly conns = new Set<Conn>();

  constructor(private readonly host: SessionHost) {
    this.wss.on('headers', (headers) => headers.push(`Server: ${SERVER_HEADER}`));
  }

  /** The HTTP server's `upgrade` event. */
  async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      socket.end(rawResponse(notFound()));
      return;
    }
    const verdict = await guardVerdict(this.host.opts, req.headers);
    if (!verdict.allow) {
      this.host.log(`WARNING: request with ${verdict.reason}, returning 403`);
      socket.end(rawResponse(emptyResponse(403)));
      return;
    }
    const server = this.host.promptServer;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, url, server));
  }

  /** TCP destroyed under every socket: clients see 1006. */
  destroyAll(): void {
    for (const c of [...this.conns]) c.socket.destroy();
  }

  /** Every open socket becomes a zombie. */
  stallAll(): void {
    for (const c of this.conns) {
      c.stalled = true;
      c.socket.pause();
    }
  }

  close(): void {
    this.destroyAll();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, socket: Socket, url: URL, server: PromptServer): void {
    // The handshake began before a restart: that process is gone, and so is this socket.
    if (server !== this.host.promptServer) {
      socket.destroy();
      return;
    }
    let sid = url.searchParams.get('clientId') ?? '';
    // A reconnect with the same id replaces the routing entry; the old socket stays open (not closed).
    if (sid) server.sockets.delete(sid);
    else sid = randomUUID().replaceAll('-', '');
    const conn: Conn = { ws, socket, sid, server, stalled: false, firstMessage: true };
    this.conns.add(conn);
    server.sockets.set(sid, conn);
    server.metadata.set(sid, { feature_flags: {} });
    ws.on('close', () => {
      this.conns.delete(conn);
      // The handler's `finally` pops unconditionally, so an old socket's late close unregisters a newer
      // socket with the same sid (the zombie race of comfyui-protocol.md §2.3).
      server.sockets.delete(sid);
      server.metadata.delete(sid);
    });
    ws.on('error', (err) => this.host.log(`WARNING: ws connection closed with exception ${String(err)}`));
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    server.sendDirect('status', { status: server.queueInfo(), sid }, sid);
    if (server.clientId === sid && server.lastNodeId !== null)
      server.sendDirect('executing', { node: server.lastNodeId }, sid);
  }

  private onMessage(conn: Conn, data: WebSocket.RawData, isBinary: boolean): void {
    if (conn.stalled || isBinary) return;
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const server = conn.server;
    let msg: unknown;
    try {
      msg = pyLoads(text);
    } catch {
      this.host.log(`WARNING: Invalid JSON received from client ${conn.sid}: ${text}`);
      return;
    }
    if (!conn.firstMessage) return;
    // `data.get("type")` raises on non-objects before `first_message = False` runs.
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.host.log(
        `ERROR: Error processing WebSocket message: '${pyStr(typeof msg)}' object has no attribute 'get'`,
      );
      return;
    }
    const obj = msg as Record<string, unknown>;
    if (obj.type === 'feature_flags') {
      const meta = server.metadata.get(conn.sid);
      if (!meta) {
        this.host.log(`ERROR: Error processing WebSocket message: ${pyRepr(conn.sid)}`);
        return;
      }
      meta.feature_flags = 'data' in obj ? obj.data : {};
      server.sendDirect('feature_flags', SERVER_FEATURES, conn.sid);
      this.host.log(`Feature flags negotiated for client ${conn.sid}: ${pyRepr(meta.feature_flags)}`);
    }
    conn.firstMessage = false;
  }
}
