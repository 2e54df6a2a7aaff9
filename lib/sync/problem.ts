// What went wrong with the last upload, as data: the options page words it (i18n), the uploader only
// says what it saw. Remote text (`message`, `server`) is rendered as text, never as markup.

/** What the sync URL answered when it did not answer like a ComfyPulse server. */
export interface ForeignAnswer {
  status: number;
  /** The media type without parameters (`text/html`), or '' when absent. */
  contentType: string;
  /** The `Server` (else `X-Powered-By`) header, when present: "nginx/1.24.0", "Express". */
  software?: string;
  /** Set when the request was redirected: the origin and path it ended at. */
  redirectedTo?: string;
}

export type SyncProblem =
  /** No answer at all: connection refused, DNS, TLS, an offline browser. */
  | { kind: 'unreachable'; origin: string }
  | { kind: 'timeout'; origin: string; afterMs: number }
  /** Something answered, but not our server (no `X-ComfyPulse: 1`, or not its JSON): a typo, a proxy, a login page. */
  | ({ kind: 'not_comfypulse' } & ForeignAnswer)
  /** Our server refused the API key (401/403). */
  | { kind: 'key_refused'; status: number; message: string }
  /** Our server could not take the batch now (5xx, 429) or refused the request as a whole (400). */
  | { kind: 'server_error'; status: number; code: string; message: string }
  /** Our server's mark, but an answer this extension does not understand (a version mismatch). */
  | { kind: 'incompatible'; status: number; detail: string }
  /** Our server rejected records of the last batch; they are in the dead-letter store. */
  | { kind: 'rejected'; count: number; promptId: string; code: string; message: string }
  /** A job's state did not make a valid record; it is in the dead-letter store. */
  | { kind: 'not_queued'; promptId: string; message: string }
  /** Anything unexpected in the extension itself (storage, settings). */
  | { kind: 'internal'; message: string };
