/**
 * Typed failures of the HTTP client. Each carries a `kind` the UI can switch on and a message a user can
 * act on. Invariant: no message, `url` or `detail` ever contains an auth token (see `redactUrl`).
 */

export type ComfyErrorKind =
  | 'origin-rejected'
  | 'auth-required'
  | 'bad-workflow'
  | 'unreachable'
  | 'server-error';

export abstract class ComfyError extends Error {
  abstract readonly kind: ComfyErrorKind;
  constructor(
    message: string,
    /** The request URL with any token redacted. */
    readonly url?: string,
    /** HTTP status when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * A bare 403 with an empty body: ComfyUI's origin middleware refused the request (comfyui-protocol.md §8,
 * §12), or a v0.19+ server refused a `Sec-Fetch-Site: cross-site` request.
 */
export class OriginRejected extends ComfyError {
  readonly kind = 'origin-rejected' as const;
  override readonly name = 'OriginRejected';
  constructor(url?: string, status = 403) {
    super(
      'ComfyUI refused this request because its Origin differs from the server address (403 from the origin ' +
        'check). Start ComfyUI with `--enable-cors-header <origin of this app>`, or reach it the way this app ' +
        'is allowed to. Cost of that flag: it switches off ComfyUI\u2019s origin check entirely, so any web ' +
        'page you visit could then queue prompts on this server.',
      url,
      status,
    );
  }
}

/** 401, or an auth plugin's redirect to a login page (ComfyUI-Login answers 302 → /login, not 401). */
export class AuthRequired extends ComfyError {
  readonly kind = 'auth-required' as const;
  override readonly name = 'AuthRequired';
  constructor(
    url?: string,
    status?: number,
    readonly reason: 'unauthorized' | 'login-redirect' | 'html-response' = 'unauthorized',
  ) {
    super(
      reason === 'unauthorized'
        ? 'ComfyUI requires authentication (401). Set the access token for this server.'
        : 'ComfyUI answered with a login page instead of data: an auth plugin or proxy wants a login. ' +
            'Set the access token for this server (ComfyUI-Login prints it at startup as "token=…").',
      url,
      status,
    );
  }
}

/** One entry of `node_errors` in a 400 from `/prompt`, exactly as the server sent it. */
export interface NodeErrorEntry {
  errors: { type: string; message: string; details?: string; extra_info?: Record<string, unknown> }[];
  dependent_outputs?: string[];
  class_type?: string;
  [extra: string]: unknown;
}

export interface WorkflowErrorBody {
  type: string;
  message: string;
  details?: string;
  extra_info?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** 400 from `/prompt`: the workflow failed validation; nothing was queued. */
export class BadWorkflow extends ComfyError {
  readonly kind = 'bad-workflow' as const;
  override readonly name = 'BadWorkflow';
  constructor(
    readonly error: WorkflowErrorBody,
    readonly nodeErrors: Record<string, NodeErrorEntry>,
    url?: string,
  ) {
    const nodes = Object.entries(nodeErrors).map(([id, e]) => {
      const first = e.errors[0];
      const what = first ? `${first.message}${first.details ? ` (${first.details})` : ''}` : 'invalid';
      return `node ${id}${e.class_type ? ` ${e.class_type}` : ''}: ${what}`;
    });
    super(
      `ComfyUI rejected the workflow: ${error.message}${nodes.length ? `: ${nodes.join('; ')}` : ''}`,
      url,
      400,
    );
  }
}

/** No HTTP answer at all: connection refused, DNS, timeout, or (indistinguishably) a TLS failure. */
export class Unreachable extends ComfyError {
  readonly kind = 'unreachable' as const;
  override readonly name = 'Unreachable';
  constructor(
    url: string | undefined,
    readonly reason: 'network' | 'timeout',
  ) {
    const https = url?.startsWith('https:') ?? false;
    super(
      `${reason === 'timeout' ? 'ComfyUI did not answer in time' : 'Cannot reach ComfyUI'}` +
        `${url ? ` at ${originOf(url)}` : ''}. Check that it is running and the address is right.` +
        (https
          ? ' This is an https address: an untrusted or self-signed certificate fails exactly like this; ' +
            'use a certificate the browser trusts (e.g. made with mkcert) or plain http on a local address.'
          : ''),
      url,
    );
  }
}

/** Any other failure: an unexpected status (aiohttp's plain-text 500 included) or an unreadable body. */
export class ServerError extends ComfyError {
  readonly kind = 'server-error' as const;
  override readonly name = 'ServerError';
  constructor(
    message: string,
    url?: string,
    status?: number,
    /** The start of the response body, for diagnostics. */
    readonly detail?: string,
  ) {
    super(message, url, status);
  }
}

export function isComfyError(e: unknown): e is ComfyError {
  return e instanceof ComfyError;
}

const SECRET_PARAMS = ['token', 'api_key', 'auth_token'];

/** The URL with the values of token-like query parameters replaced; safe to log and show. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const p of SECRET_PARAMS) if (u.searchParams.has(p)) u.searchParams.set(p, 'REDACTED');
    if (u.password) u.password = 'REDACTED';
    return u.toString();
  } catch {
    return url.replace(/([?&](?:token|api_key|auth_token)=)[^&#]*/gi, '$1REDACTED');
  }
}

/** Removes every occurrence of `secret` from `text` (for bodies that may echo a token back). */
export function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('REDACTED') : text;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the configured address';
  }
}
