// Shared HTTP helpers: one JSON error shape for every route, zod messages included for bad input.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { ApiKey, Scope } from './repo/keys';

/** Resolves a bearer token to its live key (the in-memory KeyCache in the server). */
export interface KeyVerifier {
  verify(token: string): Promise<ApiKey | null>;
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
 * Bearer API keys. The dashboard's read-only key may instead come from the HttpOnly session cookie,
 * accepted for GET only (SameSite=Strict, so other sites cannot ride on it).
 */
export function requireScope(keys: KeyVerifier, scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let token: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) return jsonError(c, 401, 'unauthorized', 'Authorization must be "Bearer <api key>"');
      token = m[1];
    } else if (c.req.method === 'GET' && scope === 'read') {
      token = getCookie(c, SESSION_COOKIE);
    }
    if (!token)
      return jsonError(c, 401, 'unauthorized', 'An API key is required (Authorization: Bearer <key>)');
    const key = await keys.verify(token);
    if (!key) return jsonError(c, 401, 'unauthorized', 'Unknown or revoked API key');
    if (!key.scopes.includes(scope)) {
      return jsonError(c, 403, 'forbidden', `This API key lacks the "${scope}" scope`);
    }
    c.set('key', key);
    await next();
  };
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
): Promise<{ ok: true; value: unknown; text: string } | { ok: false; res: Response }> {
  const tooLarge = () => ({
    ok: false as const,
    res: jsonError(c, 413, 'too_large', `Body exceeds ${maxBytes} bytes`),
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
