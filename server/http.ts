// Shared HTTP helpers: one JSON error shape for every route, zod messages included for bad input.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { ApiKey, Scope } from './repo/keys';

/** Resolves credentials to their live key. */
export interface Credentials {
  /** A bearer API key (the in-memory KeyCache in the server). */
  verify(token: string): Promise<ApiKey | null>;
  /** A dashboard session id from the cookie. */
  session(id: string): Promise<ApiKey | null>;
}

/** `incoming` is Node's request when served by @hono/node-server (absent under app.request() in tests). */
export type AppEnv = { Variables: { key: ApiKey }; Bindings: { incoming?: IncomingMessage } };

export function jsonError(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  extra = {},
) {
  return c.json({ error: { code, message, ...extra } }, status);
}

export function badInput(c: Context, err: z.ZodError) {
  return jsonError(c, 400, 'bad_request', z.prettifyError(err), {
    issues: err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code })),
  });
}

export const SESSION_COOKIE = 'cp_session';

/**
 * Bearer API keys. A dashboard session (the HttpOnly cookie) is accepted instead for GET routes of the
 * read scope only (SameSite=Strict, so other sites cannot ride on it).
 */
export function requireScope(creds: Credentials, scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let key: ApiKey | null;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) return jsonError(c, 401, 'unauthorized', 'Authorization must be "Bearer <api key>"');
      key = await creds.verify(m[1]!);
    } else {
      const session = c.req.method === 'GET' && scope === 'read' ? getCookie(c, SESSION_COOKIE) : undefined;
      if (!session)
        return jsonError(c, 401, 'unauthorized', 'An API key is required (Authorization: Bearer <key>)');
      key = await creds.session(session);
    }
    if (!key) return jsonError(c, 401, 'unauthorized', 'Unknown or revoked API key, or an ended session');
    if (!key.scopes.includes(scope)) {
      return jsonError(c, 403, 'forbidden', `This API key lacks the "${scope}" scope`);
    }
    c.set('key', key);
    await next();
  };
}

/**
 * The client's address: the socket's peer, or behind a trusted proxy the address that proxy saw (the
 * last X-Forwarded-For entry, the one the proxy itself appended).
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  const forwarded = trustProxy ? c.req.header('x-forwarded-for') : undefined;
  const last = forwarded?.split(',').pop()?.trim();
  return last || c.env?.incoming?.socket.remoteAddress || 'unknown';
}

/** Whether the browser reached us over TLS: our own socket, or a trusted proxy's X-Forwarded-Proto. */
export function arrivedOverTls(c: Context<AppEnv>, trustProxy: boolean): boolean {
  const socket = c.env?.incoming?.socket as { encrypted?: boolean } | undefined;
  if (socket?.encrypted) return true;
  if (trustProxy) {
    const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    if (proto) return proto === 'https';
  }
  return new URL(c.req.url).protocol === 'https:';
}

/** 429 with Retry-After (whole seconds, at least 1). */
export function tooMany(c: Context, seconds: number, message: string) {
  c.header('Retry-After', String(Math.max(1, Math.ceil(seconds))));
  return jsonError(c, 429, 'rate_limited', message);
}

/** Reads a JSON body; a syntax error is a 400 like any other bad input. */
export async function readJson(
  c: Context,
): Promise<{ ok: true; value: unknown } | { ok: false; res: Response }> {
  try {
    return { ok: true, value: await c.req.json() };
  } catch {
    return { ok: false, res: jsonError(c, 400, 'bad_request', 'Body must be valid JSON') };
  }
}

/**
 * Reads a JSON body of at most `maxBytes` (413 above, checked on Content-Length before reading and on
 * the bytes as they arrive). On Node it reads the request stream directly: building a WHATWG Request
 * and ReadableStream for the body cost more CPU than the rest of a small ingest request.
 */
export async function readJsonLimited(
  c: Context<AppEnv>,
  maxBytes: number,
  tooLargeExtra: Record<string, unknown> = {},
): Promise<{ ok: true; value: unknown; text: string } | { ok: false; res: Response }> {
  const tooLarge = () => ({
    ok: false as const,
    res: jsonError(c, 413, 'too_large', `Body exceeds ${maxBytes} bytes`, tooLargeExtra),
  });
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) return tooLarge();
  const incoming = c.env?.incoming;
  let text: string;
  if (incoming && !incoming.readableEnded && !incoming.readableDidRead) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) return tooLarge();
      chunks.push(chunk);
    }
    text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
  } else {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxBytes) return tooLarge();
    text = new TextDecoder().decode(bytes);
  }
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch {
    return { ok: false, res: jsonError(c, 400, 'bad_request', 'Body must be valid JSON') };
  }
}
