/**
 * Fault injection: what an unreliable ComfyUI does to its clients, on demand. A restart (every socket
 * destroyed; queue, history, caches and the prompt counter lost; the same port refusing connections for
 * `downMs`), dropped sockets (1006, execution continues), zombie sockets (open, mute, reads paused),
 * refused connections, and the `/__sim/*` control routes that expose them over HTTP (the CLI turns
 * those on; a default programmatic simulator 404s them like ComfyUI).
 */
import { jsonResponse, notFound, type SimResponse } from './http';
import type { Sessions } from './sessions';

/** The simulator state the faults act on. */
export interface FaultTarget {
  readonly sessions: Sessions;
  readonly closed: boolean;
  /** New HTTP and WS connections get ECONNREFUSED; established ones continue. */
  stopListening(): void;
  /** Accepts again on the same port, unless closed meanwhile or already listening. */
  resumeListening(): Promise<void>;
  /** The process dies: its PromptServer stops, every connection is destroyed, nothing listens. */
  killProcess(): void;
  /** A new process: a fresh PromptServer and an emptied temp folder. */
  startProcess(): void;
  /** The JSON of `/__sim/state`. */
  state(): unknown;
}

export class Faults {
  private refuseTimer: NodeJS.Timeout | null = null;

  constructor(private readonly target: FaultTarget) {}

  /** TCP destroyed under every WebSocket: clients see 1006; execution continues. */
  dropAll(): void {
    this.target.sessions.destroyAll();
  }

  /** Every open WebSocket becomes a zombie. */
  stallAll(): void {
    this.target.sessions.stallAll();
  }

  /** The listener closes for `ms`. */
  refuse(ms: number): void {
    if (this.target.closed) return;
    this.target.stopListening();
    this.cancelRefuse();
    this.refuseTimer = setTimeout(() => {
      this.refuseTimer = null;
      void this.target.resumeListening();
    }, ms);
  }

  async restart(downMs: number): Promise<void> {
    this.target.killProcess();
    this.cancelRefuse();
    await new Promise((r) => setTimeout(r, downMs));
    this.target.startProcess();
    await this.target.resumeListening();
  }

  /** `/__sim/*`: answers at once; the fault itself happens right after the answer left. */
  control(url: URL): SimResponse {
    const n = (name: string) => {
      const v = Number(url.searchParams.get(name) ?? '0');
      return Number.isFinite(v) && v >= 0 ? v : 0;
    };
    switch (url.pathname) {
      case '/__sim/drop':
        setImmediate(() => this.dropAll());
        return jsonResponse({ ok: true });
      case '/__sim/stall':
        setImmediate(() => this.stallAll());
        return jsonResponse({ ok: true });
      case '/__sim/refuse':
        setImmediate(() => this.refuse(n('ms')));
        return jsonResponse({ ok: true });
      case '/__sim/restart':
        setTimeout(() => void this.restart(n('downMs')), 10);
        return jsonResponse({ ok: true });
      case '/__sim/state':
        return jsonResponse(this.target.state());
      default:
        return notFound();
    }
  }

  cancelRefuse(): void {
    if (this.refuseTimer) clearTimeout(this.refuseTimer);
    this.refuseTimer = null;
  }
}
