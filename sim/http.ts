/**
 * aiohttp's response shapes, so that status lines, bodies and content types match the real server:
 * `web.json_response`, `web.Response(status=...)` (empty octet-stream), `HTTPNotFound` ("404: Not Found"),
 * `HTTPMethodNotAllowed`, and the plain-text 500 aiohttp writes when a handler raises.
 */
import type { ServerResponse } from 'node:http';
import { pyDumps } from './pyjson';

export const SERVER_HEADER = 'Python/3.12 aiohttp/3.12.15';

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Raised as an HTTPException/500 inside aiohttp: middlewares that post-process responses never see it. */
  exception?: boolean;
  /** aiohttp force-closes the connection after a 500. */
  close?: boolean;
}

export function jsonResponse(data: unknown, status = 200): SimResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: Buffer.from(pyDumps(data), 'utf8'),
  };
}

/** `web.Response(status=N)`: no body, aiohttp's default content type. */
export function emptyResponse(status = 200): SimResponse {
  return { status, headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(0) };
}

export function textResponse(
  text: string,
  status = 200,
  contentType = 'text/plain; charset=utf-8',
): SimResponse {
  return { status, headers: { 'Content-Type': contentType }, body: Buffer.from(text, 'utf8') };
}

export function notFound(): SimResponse {
  return { ...textResponse('404: Not Found', 404), exception: true };
}

export function methodNotAllowed(allowed: string[]): SimResponse {
  const r = textResponse('405: Method Not Allowed', 405);
  return { ...r, headers: { ...r.headers, Allow: allowed.join(',') }, exception: true };
}

/** What aiohttp answers when a handler raises (e.g. `await request.json()` on a malformed body). */
export function internalError(acceptsHtml: boolean): SimResponse {
  const r = acceptsHtml
    ? textResponse(
        '<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1>Server got itself in trouble</body></html>',
        500,
        'text/html; charset=utf-8',
      )
    : textResponse('500 Internal Server Error\n\nServer got itself in trouble', 500);
  return { ...r, exception: true, close: true };
}

export function writeResponse(res: ServerResponse, r: SimResponse, method: string): void {
  res.statusCode = r.status;
  res.setHeader('Server', SERVER_HEADER);
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', String(r.body.length));
  if (r.close) res.setHeader('Connection', 'close');
  res.end(method === 'HEAD' ? undefined : r.body);
}

/** A raw HTTP/1.1 response for a socket we refuse to upgrade (403 before the 101, like the middleware). */
export function rawResponse(r: SimResponse): string {
  const reason: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' };
  const lines = [
    `HTTP/1.1 ${r.status} ${reason[r.status] ?? 'Error'}`,
    ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${r.body.length}`,
    `Date: ${new Date().toUTCString()}`,
    `Server: ${SERVER_HEADER}`,
    'Connection: close',
    '',
    '',
  ];
  return lines.join('\r\n') + r.body.toString('utf8');
}
