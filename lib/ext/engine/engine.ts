/**
 * The engine: every enabled server's connection, in the context that may hold ComfyUI sockets (the
 * offscreen document in Chrome, the background page in Firefox). It reads servers and settings from
 * Dexie, reloads when they change, and reports to the service worker through `notify` (which wakes a
 * stopped worker, so nothing is lost while it restarts) and to the pages through `broadcast`.
 */

import { z } from 'zod';
import type { ComfyError } from '../../comfy/errors';
import { toComfyEvent } from '../../comfy/messages';
import type { ApiPrompt, ComfyEvent, ConnectionState } from '../../comfy/types';
import {
  PREVIEW_FRAME,
  TAP_PREVIEW_MAX_BYTES,
  TAPPED_TYPES,
  WORKFLOW_FRAME,
  WORKFLOW_NAME_MAX,
} from '../bridge/tap';
import type { ServerRecord } from '../db';
import type { Translate } from '../i18n';
import type { CancelOutcome, DoctorReport, ProtocolRequest, ProtocolResponse } from '../protocol';
import { DEFAULT_SETTINGS, getSettings, type Settings } from '../settings';
import { ServerConnection } from './connection';
import type { ConnectionDeps } from './connection-deps';
import { runDoctor } from './doctor';
import type { Flushed } from './writer';

export type EngineNotice =
  | { type: 'bg:jobFinished'; payload: ProtocolRequest<'bg:jobFinished'> }
  | { type: 'bg:activity'; payload: ProtocolRequest<'bg:activity'> };

/** What the engine hands through to each `ServerConnection` unchanged, plus its own needs. */
export interface EngineDeps
  extends Pick<
    ConnectionDeps,
    | 'db'
    | 'WebSocket'
    | 'fetch'
    | 'clock'
    | 'random'
    | 'broadcast'
    | 'log'
    | 'timing'
    | 'onPreviewFrame'
    | 'onJobEnded'
    | 'thumbnail'
  > {
  t: Translate;
  /** `chrome-extension://<id>`: the origin the doctor names in `--enable-cors-header`. */
  extensionOrigin: string;
  notify(notice: EngineNotice): void;
  /** Every committed write (the sync outbox records job changes from here). */
  onFlushed?(serverId: string, f: Flushed): void;
  hasPermissions?(origins: string[]): Promise<boolean>;
}

const tabPreviewSchema = z.object({
  prompt_id: z.string().min(1).max(200),
  node_id: z.string().max(200).optional(),
  display_node_id: z.string().max(200).optional(),
  mime: z.string().regex(/^image\/[\w.+-]+$/),
  image: z.string().max(Math.ceil((TAP_PREVIEW_MAX_BYTES * 4) / 3) + 4),
});

/** A preview relayed by the tab bridge (base64, since runtime messages are JSON) as a decoded event. */
export function tabPreviewEvent(data: unknown): ComfyEvent | null {
  const p = tabPreviewSchema.safeParse(data);
  if (!p.success) return null;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(p.data.image), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  return {
    type: 'preview',
    promptId: p.data.prompt_id,
    mime: p.data.mime,
    bytes,
    ...(p.data.node_id ? { nodeId: p.data.node_id } : {}),
    ...(p.data.display_node_id ? { displayNodeId: p.data.display_node_id } : {}),
  };
}

const tabWorkflowSchema = z.object({ prompt_id: z.string().min(1).max(200), name: z.string().max(10_000) });

/**
 * The workflow name the tab bridge relayed for a prompt: remote text, so control characters and runs of
 * white space become one space, and it is capped at WORKFLOW_NAME_MAX characters; null when nothing is left.
 */
export function tabWorkflowName(data: unknown): { promptId: string; name: string } | null {
  const p = tabWorkflowSchema.safeParse(data);
  if (!p.success) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  const name = p.data.name.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  if (!name) return null;
  return { promptId: p.data.prompt_id, name: [...name].slice(0, WORKFLOW_NAME_MAX).join('') };
}

/** What the tab bridge may feed in: exactly what the tap relays (per-prompt events only). */
const TAB_TYPES: ReadonlySet<string> = new Set([PREVIEW_FRAME, WORKFLOW_FRAME, ...TAPPED_TYPES]);

function signature(s: ServerRecord): string {
  return JSON.stringify([s.url, s.token ?? '', s.tokenMode, s.clientId, s.enabled]);
}

export class Engine {
  private readonly conns = new Map<string, { sig: string; conn: ServerConnection }>();
  private settings: Settings = DEFAULT_SETTINGS;
  private lastActivity = '';
  private activityTimer: unknown;
  private reloading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: EngineDeps) {}

  /** Loads servers and settings and connects to every enabled server. */
  start(): Promise<void> {
    return this.reload();
  }

  /** Re-reads servers and settings; restarts only the connections whose server changed. Serialised. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.reloadOnce())
      .catch((e) => this.deps.log?.('reload failed', e));
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    if (this.stopped) return;
    const { db } = this.deps;
    this.settings = await getSettings(db);
    const all = await db.servers.toArray();
    const servers = all.filter((s) => s.enabled);
    const known = new Set(all.map((s) => s.id));
    const stale = (await db.connections.toCollection().primaryKeys()).filter((id) => !known.has(id));
    if (stale.length) await db.connections.bulkDelete(stale);
    const wanted = new Map(servers.map((s) => [s.id, s]));
    for (const [id, { sig, conn }] of this.conns) {
      const s = wanted.get(id);
      if (!s || signature(s) !== sig) {
        this.conns.delete(id);
        await conn.stop();
        // removed: forget its state; disabled or edited: not connected any more until a new connection says so
        if (!known.has(id)) await db.connections.delete(id);
        else await db.connections.put({ serverId: id, state: 'offline', since: this.deps.clock.now() });
      }
    }
    for (const s of servers) {
      if (this.conns.has(s.id)) continue;
      const conn = this.makeConnection(s);
      this.conns.set(s.id, { sig: signature(s), conn });
      await conn.start();
    }
  }

  private makeConnection(server: ServerRecord): ServerConnection {
    const { deps } = this;
    return new ServerConnection(server, {
      db: deps.db,
      WebSocket: deps.WebSocket,
      fetch: deps.fetch,
      clock: deps.clock,
      ...(deps.random ? { random: deps.random } : {}),
      broadcast: deps.broadcast,
      onFinished: (jobKey) => deps.notify({ type: 'bg:jobFinished', payload: { jobKey } }),
      onActivity: () => this.scheduleActivity(),
      onFlushed: (f) => deps.onFlushed?.(server.id, f),
      describe: (state, error) => this.describe(server, state, error),
      previewsEnabled: () => this.settings.previews.enabled,
      retention: () => this.settings.retention,
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.timing ? { timing: deps.timing } : {}),
      ...(deps.onPreviewFrame ? { onPreviewFrame: deps.onPreviewFrame } : {}),
      ...(deps.onJobEnded ? { onJobEnded: deps.onJobEnded } : {}),
      ...(deps.thumbnail ? { thumbnail: deps.thumbnail } : {}),
    });
  }

  private describe(
    server: ServerRecord,
    state: ConnectionState,
    error: ComfyError | null,
  ): string | undefined {
    const { t } = this.deps;
    let origin = server.url;
    try {
      origin = new URL(server.url).origin;
    } catch {
      // an unparsable URL is still worth showing, as the user typed it
    }
    switch (state) {
      case 'rejected':
        return t('doctor_origin_rejected', [origin, this.deps.extensionOrigin]);
      case 'auth-required':
        return t('doctor_auth_required', [origin]);
      case 'offline':
      case 'reconnecting':
        if (error?.kind === 'unreachable') {
          return origin.startsWith('https:') ? t('doctor_tls', [origin]) : t('doctor_unreachable', [origin]);
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** The badge summary, sent at most every 250 ms and only when it changed. */
  private scheduleActivity(): void {
    if (this.activityTimer !== undefined) return;
    this.activityTimer = this.deps.clock.setTimeout(() => {
      this.activityTimer = undefined;
      this.reportActivity();
    }, 250);
  }

  activity(): ProtocolRequest<'bg:activity'> {
    let running = 0;
    let pending = 0;
    let single: number | undefined;
    for (const { conn } of this.conns.values()) {
      for (const j of Object.values(conn.client.getJobs())) {
        if (j.status === 'running') {
          running++;
          single = j.progress;
        } else if (j.status === 'pending') pending++;
      }
    }
    return { running, pending, ...(running === 1 && single !== undefined ? { singleProgress: single } : {}) };
  }

  reportActivity(force = false): void {
    const a = this.activity();
    // the badge shows whole percents: finer changes are not worth waking the worker
    const key = JSON.stringify({
      ...a,
      singleProgress: a.singleProgress && Math.floor(a.singleProgress * 100),
    });
    if (!force && key === this.lastActivity) return;
    this.lastActivity = key;
    this.deps.notify({ type: 'bg:activity', payload: a });
  }

  connection(serverId: string): ServerConnection | undefined {
    return this.conns.get(serverId)?.conn;
  }

  async submit(serverId: string, prompt: ApiPrompt): Promise<string> {
    const conn = this.connection(serverId);
    if (!conn) throw new Error(`no enabled server ${serverId}`);
    return conn.submit(prompt, this.settings.previews.enabled ? 'auto' : undefined);
  }

  async cancelJob(req: ProtocolRequest<'engine:cancelJob'>): Promise<CancelOutcome> {
    const conn = this.connection(req.serverId);
    if (!conn) return { ok: false, reason: 'not-found', message: 'no such enabled server' };
    return conn.cancel(req.promptId);
  }

  async refresh(req: ProtocolRequest<'engine:refresh'>): Promise<ProtocolResponse<'engine:refresh'>> {
    const targets = req.serverId
      ? [this.connection(req.serverId)]
      : [...this.conns.values()].map((c) => c.conn);
    await Promise.all(
      targets.map((c) => {
        if (!c) return undefined;
        c.client.retryNow();
        return c.reconcile();
      }),
    );
    return { ok: targets.every(Boolean) };
  }

  async runDoctor(req: ProtocolRequest<'engine:runDoctor'>): Promise<DoctorReport> {
    let target = { url: req.url ?? '', token: req.token, tokenMode: req.tokenMode };
    if (req.serverId) {
      const s = await this.deps.db.servers.get(req.serverId);
      if (s) {
        target = {
          url: req.url ?? s.url,
          token: req.token ?? s.token,
          tokenMode: req.tokenMode ?? s.tokenMode,
        };
      }
    }
    const report = await runDoctor(
      {
        fetch: this.deps.fetch,
        WebSocket: this.deps.WebSocket,
        clock: this.deps.clock,
        t: this.deps.t,
        extensionOrigin: this.deps.extensionOrigin,
        ...(this.deps.hasPermissions ? { hasPermissions: this.deps.hasPermissions } : {}),
      },
      target,
    );
    // a passing doctor is the user's "test the fix": dial a waiting connection now
    if (report.finding === 'ok' && req.serverId) void this.refresh({ serverId: req.serverId });
    return report;
  }

  /**
   * "The server may be back" from outside (the browser came online, a page opened): every connection
   * that is waiting to reconnect dials now instead of at the end of its backoff wait.
   */
  dialNow(): void {
    for (const { conn } of this.conns.values()) conn.client.retryNow();
  }

  /** The connection of the configured server a page at `pageUrl` belongs to (origin and path prefix). */
  private connectionOfPage(pageUrl: string): ServerConnection | undefined {
    let page: URL;
    try {
      page = new URL(pageUrl);
    } catch {
      return undefined;
    }
    return [...this.conns.values()]
      .map((c) => c.conn)
      .find((c) => {
        const base = new URL(c.server.url);
        return base.origin === page.origin && page.pathname.startsWith(base.pathname.replace(/\/?$/, '/'));
      });
  }

  /** Whether a page at `pageUrl` belongs to a configured (enabled) server: the tab bridge's senders. */
  servesPage(pageUrl: string): boolean {
    return this.connectionOfPage(pageUrl) !== undefined;
  }

  /** The ComfyUI tab at `pageUrl` saw its own socket reopen: that server is back, dial it now. */
  tabReconnected(pageUrl: string): boolean {
    const conn = this.connectionOfPage(pageUrl);
    conn?.client.retryNow();
    return conn !== undefined;
  }

  /**
   * Frames relayed by the tab bridge from a page at `pageUrl`. Accepted only when that page is one of
   * the configured servers; each frame is decoded like a socket frame.
   */
  ingestTabFrames(pageUrl: string, frames: readonly { type: string; data: unknown }[]): number {
    const conn = this.connectionOfPage(pageUrl);
    if (!conn) return 0;
    let applied = 0;
    for (const f of frames) {
      if (!TAB_TYPES.has(f.type)) continue;
      if (f.type === WORKFLOW_FRAME) {
        const named = tabWorkflowName(f.data);
        if (named) {
          conn.nameJob(named.promptId, named.name);
          applied++;
        }
        continue;
      }
      const ev = f.type === PREVIEW_FRAME ? tabPreviewEvent(f.data) : toComfyEvent(f);
      if (ev && conn.client.ingestExternal(ev)) applied++;
    }
    return applied;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.activityTimer);
    await this.reloading;
    await Promise.all([...this.conns.values()].map(({ conn }) => conn.stop()));
    this.conns.clear();
  }
}
