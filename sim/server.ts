/**
 * The ComfyUI simulator, assembled: one Node HTTP server whose requests pass ComfyUI's guards (origin
 * check or CORS, the optional Sec-Fetch guard) before the routes (`routes.ts`), whose upgrades become
 * WebSocket sessions (`sessions.ts`), and a PromptServer per run of the process (`prompt-server.ts`)
 * that a simulated restart replaces (`faults.ts`). Behaviour follows ComfyUI 0.3.64 (`server.py`,
 * `main.py`) as recorded in fixtures/traces; packages/comfyui-sim/README.md documents the switches.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Faults, type FaultTarget } from './faults';
import { createDirs, resetTempDir } from './files';
import { emptyResponse, internalError, type SimResponse, writeResponse } from './http';
import { corsHeaders, guardVerdict } from './origin';
import { PromptServer, type ServerDirs } from './prompt-server';
import { pyClone } from './pyjson';
import { HttpRoutes, type RouteHost } from './routes';
import { type SessionHost, Sessions } from './sessions';

/** The switches of `startSimulator`; each matches a ComfyUI command-line flag or server version. */
export interface SimulatorOptions {
  /** Bind address. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` picks a free one (read it from `Simulator.port`). Default 8188. */
  port?: number;
  /**
   * ComfyUI's default `origin_only_middleware`: 403 to any request (the WebSocket handshake included)
   * whose `Origin` host differs from a loopback `Host`. Default true.
   */
  originCheck?: boolean;
  /** `--enable-cors-header VALUE`: replaces the origin check and adds CORS headers; `''` means `*`. */
  corsHeader?: string;
  /** ComfyUI v0.19+: 403 to any request marked `Sec-Fetch-Site: cross-site`. Default false. */
  secFetchGuard?: boolean;
  /** Newer servers' jobs API: `GET /api/jobs`, `GET /api/jobs/{id}`, the cancel routes. Default false. */
  jobsApi?: boolean;
  /** Sep 2025+: `/interrupt {prompt_id}` stops only that prompt; false = always global. Default true. */
  promptScopedInterrupt?: boolean;
  /** Reported in `/system_stats` argv only (previews are sent whatever it says). Default `auto`. */
  previewMethod?: 'none' | 'auto' | 'latent2rgb' | 'taesd';
  /** Multiplies node delays (PeerSteps `delay_ms`); 0.1 runs ten times faster. Default 1. */
  timeScale?: number;
  /** Where SaveImage writes real PNGs. Default: a fresh temp folder. */
  outputDir?: string;
  /** Serve the fault-injection routes under `/__sim/` (the CLI turns this on). Default false. */
  controlRoutes?: boolean;
  /** Server log lines ("got prompt", origin warnings, ...). Default: silent. */
  log?: (line: string) => void;
}

/** A snapshot of the simulated server, for assertions. */
export interface SimulatorState {
  queueRemaining: number;
  /** prompt_ids running now (at most one). */
  running: string[];
  /** prompt_ids waiting, in queue order. */
  pending: string[];
  /** `server.client_id`: the client_id of the prompt that ran last (stays set after it ends). */
  clientId: string | null;
  lastNodeId: string | null;
  /** sids currently in the routing table. */
  registeredClientIds: string[];
  /** Open WebSocket connections, including evicted and zombie ones. */
  openSockets: number;
  historySize: number;
}

/** A running simulator. */
export interface Simulator {
  /** `http://host:port`; the socket is at `/ws` (or `/api/ws`). */
  readonly url: string;
  readonly port: number;
  readonly outputDir: string;
  readonly tempDir: string;
  /**
   * Stops listening, destroys every connection and deletes the simulator's temp folder (with the default
   * output folder in it; an `outputDir` the caller named is kept).
   */
  close(): Promise<void>;
  /**
   * Fault: the process restarts. Sockets are destroyed (clients see 1006); queue, history, caches and the
   * prompt counter are lost; the same port refuses connections for `downMs`, then serves again.
   */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Fault: TCP destroyed under every WebSocket (clients see 1006); execution continues. */
  dropAllSockets(): void;
  /** Fault: every open WebSocket turns zombie: stays open, is never written to again, reads paused. */
  stallSockets(): void;
  /** Fault: the listener closes for `ms`; new connections get ECONNREFUSED, established ones continue. */
  refuseConnections(ms: number): void;
  /**
   * `POST /prompt` as another client would (no origin checks): the body ComfyUI takes, e.g.
   * `{ prompt, client_id }`. Returns the HTTP status and the parsed answer (`{ prompt_id, number,
   * node_errors }`, or the 400 error body).
   */
  submit(body: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  /** `POST /interrupt` as another client would. */
  interrupt(promptId?: string): void;
  state(): SimulatorState;
  /** Resolves when nothing is queued or running; rejects after `timeoutMs` (default 30 s). */
  waitForIdle(timeoutMs?: number): Promise<void>;
}

type ResolvedOptions = Required<Omit<SimulatorOptions, 'corsHeader' | 'outputDir' | 'log'>> & {
  corsHeader: string | null;
  log: (line: string) => void;
};

function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8188,
    originCheck: options.originCheck ?? true,
    corsHeader:
      options.corsHeader === undefined ? null : options.corsHeader === '' ? '*' : options.corsHeader,
    secFetchGuard: options.secFetchGuard ?? false,
    jobsApi: options.jobsApi ?? false,
    promptScopedInterrupt: options.promptScopedInterrupt ?? true,
    previewMethod: options.previewMethod ?? 'auto',
    timeScale: options.timeScale ?? 1,
    controlRoutes: options.controlRoutes ?? false,
    log: options.log ?? (() => {}),
  };
}

class SimServer implements FaultTarget, SessionHost, RouteHost {
  readonly opts: ResolvedOptions;
  readonly http: Server;
  readonly dirs: ServerDirs & { removeBase(): void };
  readonly sessions: Sessions;
  readonly routes: HttpRoutes;
  readonly faults: Faults;
  promptServer: PromptServer;
  port = 0;
  closed = false;
  private listening = false;

  constructor(options: SimulatorOptions) {
    this.opts = resolveOptions(options);
    this.dirs = createDirs(options.outputDir);
    this.promptServer = this.newPromptServer();
    this.sessions = new Sessions(this);
    this.routes = new HttpRoutes(this);
    this.faults = new Faults(this);
    this.http = createServer((req, res) => {
      this.handle(req)
        .then((r) => writeResponse(res, r, req.method ?? 'GET'))
        .catch((err) => {
          this.log(`ERROR: ${String(err)}`);
          writeResponse(res, internalError(false), req.method ?? 'GET');
        });
    });
    // aiohttp has no keep-alive header of its own; Node's default 5 s idle timeout is close to its 75 s.
    this.http.keepAliveTimeout = 75_000;
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.sessions.upgrade(req, socket, head).catch(() => socket.destroy());
    });
  }

  log(line: string): void {
    this.opts.log(line);
  }

  private newPromptServer(): PromptServer {
    return new PromptServer({ timeScale: this.opts.timeScale, dirs: this.dirs, log: (l) => this.log(l) });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, this.opts.host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    const addr = this.http.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.listening = true;
  }

  stopListening(): void {
    if (!this.listening) return;
    this.listening = false;
    this.http.close();
  }

  async resumeListening(): Promise<void> {
    if (!this.closed && !this.listening) await this.listen(this.port);
  }

  killProcess(): void {
    this.promptServer.kill();
    this.sessions.destroyAll();
    this.stopListening();
    this.http.closeAllConnections();
  }

  startProcess(): void {
    resetTempDir(this.dirs);
    this.promptServer = this.newPromptServer();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.faults.cancelRefuse();
    this.promptServer.kill();
    this.sessions.destroyAll();
    this.http.closeAllConnections();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((r) => this.http.close(() => r()));
    }
    this.sessions.close();
    this.dirs.removeBase();
  }

  /** Control routes first (they bypass the guards), then CORS or the origin guard, then the routes. */
  async handle(req: IncomingMessage): Promise<SimResponse> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (this.opts.controlRoutes && url.pathname.startsWith('/__sim/')) return this.faults.control(url);
    const cors = this.opts.corsHeader;
    if (cors !== null) {
      const r = method === 'OPTIONS' ? emptyResponse() : await this.routes.route(req, url);
      if (!r.exception) Object.assign(r.headers, corsHeaders(cors));
      return r;
    }
    const verdict = await guardVerdict(this.opts, req.headers);
    if (!verdict.allow) {
      this.log(`WARNING: request with ${verdict.reason}, returning 403`);
      return emptyResponse(403);
    }
    if (method === 'OPTIONS') return emptyResponse();
    return this.routes.route(req, url);
  }

  state(): SimulatorState {
    const server = this.promptServer;
    const [running, pending] = server.queue.getCurrentQueue();
    return {
      queueRemaining: server.queue.tasksRemaining(),
      running: running.map((i) => i[1]),
      pending: pending.map((i) => i[1]),
      clientId: server.clientId,
      lastNodeId: server.lastNodeId,
      registeredClientIds: [...server.sockets.keys()],
      openSockets: this.sessions.conns.size,
      historySize: server.queue.history.size,
    };
  }
}

/** Starts a simulator; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimServer(options);
  resetTempDir(sim.dirs);
  await sim.listen(sim.opts.port);
  const host = sim.opts.host.includes(':') ? `[${sim.opts.host}]` : sim.opts.host;
  return {
    get url() {
      return `http://${host}:${sim.port}`;
    },
    get port() {
      return sim.port;
    },
    outputDir: sim.dirs.outputDir,
    tempDir: sim.dirs.tempDir,
    close: () => sim.close(),
    restart: (opts) => sim.faults.restart(opts?.downMs ?? 0),
    dropAllSockets: () => sim.faults.dropAll(),
    stallSockets: () => sim.faults.stallAll(),
    refuseConnections: (ms) => sim.faults.refuse(ms),
    submit: async (body) => {
      const r = sim.routes.submitPrompt(pyClone(body));
      return { status: r.status, body: JSON.parse(r.body.toString('utf8')) };
    },
    interrupt: (promptId) => sim.routes.interruptPrompt(promptId),
    state: () => sim.state(),
    waitForIdle: async (timeoutMs = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        sim.promptServer.waitIdle(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`simulator not idle after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}
