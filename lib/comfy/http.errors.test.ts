import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AuthRequired,
  BadWorkflow,
  type ComfyError,
  OriginRejected,
  ServerError,
  Unreachable,
} from './errors';
import { createComfyHttp, type TokenMode } from './http';
import {
  closedPort,
  jsonReply as json,
  type StubHandler,
  stubHttpServerForFile,
} from './testing/stub-http-server';

const stub = stubHttpServerForFile();

const TOKEN = 'sekret-TOKEN-123';
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/traces/${name}`, import.meta.url), 'utf8'));

async function failure(p: Promise<unknown>): Promise<ComfyError> {
  try {
    await p;
  } catch (e) {
    return e as ComfyError;
  }
  throw new Error('expected a failure');
}

describe('typed HTTP errors', () => {
  const cases: {
    name: string;
    route: StubHandler;
    call: 'submit' | 'queue';
    type: new (...a: never[]) => ComfyError;
    kind: string;
  }[] = [
    {
      name: 'bare 403 with empty body (origin check)',
      route: (_q, res) => res.writeHead(403).end(),
      call: 'submit',
      type: OriginRejected,
      kind: 'origin-rejected',
    },
    {
      name: '401',
      route: json(401, { error: { type: 'unauthorized' } }),
      call: 'queue',
      type: AuthRequired,
      kind: 'auth-required',
    },
    {
      name: '302 to /login (ComfyUI-Login)',
      route: (_q, res) => res.writeHead(302, { Location: '/login' }).end(),
      call: 'queue',
      type: AuthRequired,
      kind: 'auth-required',
    },
    {
      name: 'HTML page where JSON was expected',
      route: (_q, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><form>'),
      call: 'queue',
      type: AuthRequired,
      kind: 'auth-required',
    },
    {
      name: "aiohttp's plain-text 500",
      route: (_q, res) =>
        res
          .writeHead(500, { 'Content-Type': 'text/plain' })
          .end('500 Internal Server Error\n\nServer got itself in trouble'),
      call: 'submit',
      type: ServerError,
      kind: 'server-error',
    },
    {
      name: '403 with a body (not the origin check)',
      route: json(403, { error: 'forbidden path' }),
      call: 'queue',
      type: ServerError,
      kind: 'server-error',
    },
  ];

  it.each(cases)('$name → $kind', async ({ route, call, type, kind }) => {
    stub.routes['POST /api/prompt'] = route;
    stub.routes['GET /api/queue'] = route;
    stub.routes['GET /login'] = (_q, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>login</html>');
    const http = createComfyHttp({ baseUrl: stub.base, token: TOKEN, tokenMode: 'both' });
    const err = await failure(call === 'submit' ? http.submit({}) : http.queue());
    expect(err).toBeInstanceOf(type);
    expect(err.kind).toBe(kind);
    expectNoToken(err);
  });

  it('OriginRejected names --enable-cors-header and what it costs', async () => {
    stub.routes['POST /api/queue'] = (_q, res) => res.writeHead(403).end();
    const err = await failure(createComfyHttp({ baseUrl: stub.base }).probeOrigin());
    expect(err.message).toContain('--enable-cors-header');
    expect(err.message).toMatch(/origin check entirely/);
  });

  it.each([
    ['invalid-response.json', 'prompt_outputs_failed_validation', ['2']],
    ['invalid-unknown-node-response.json', 'invalid_prompt', []],
  ])(
    '400 from /prompt (%s) → BadWorkflow with error and node_errors as recorded',
    async (file, type, nodes) => {
      const recorded = fixture(file);
      stub.routes['POST /api/prompt'] = json(400, recorded);
      const err = (await failure(createComfyHttp({ baseUrl: stub.base }).submit({}))) as BadWorkflow;
      expect(err).toBeInstanceOf(BadWorkflow);
      expect(err.error.type).toBe(type);
      expect(err.error).toEqual(recorded.error);
      expect(err.nodeErrors).toEqual(recorded.node_errors);
      expect(Object.keys(err.nodeErrors)).toEqual(nodes);
      expect(err.message).toContain(recorded.error.message);
    },
  );

  it('connection refused → Unreachable, without the token', async () => {
    const port = await closedPort();
    const http = createComfyHttp({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, tokenMode: 'query' });
    const err = await failure(http.queue());
    expect(err).toBeInstanceOf(Unreachable);
    expect((err as Unreachable).reason).toBe('network');
    expect(err.message).not.toMatch(/TLS|certificate/);
    expectNoToken(err);
  });

  it('an https address that fails mentions TLS certificates', async () => {
    const port = await closedPort();
    const err = await failure(createComfyHttp({ baseUrl: `https://127.0.0.1:${port}` }).queue());
    expect(err).toBeInstanceOf(Unreachable);
    expect(err.message).toMatch(/certificate/);
  });

  it('no answer within timeoutMs → Unreachable(timeout)', async () => {
    stub.routes['GET /api/queue'] = () => {}; // never answers
    const err = await failure(createComfyHttp({ baseUrl: stub.base, timeoutMs: 100 }).queue());
    expect(err).toBeInstanceOf(Unreachable);
    expect((err as Unreachable).reason).toBe('timeout');
  });

  it('a body echoing the token is scrubbed from the error detail', async () => {
    stub.routes['GET /api/queue'] = (req, res) => res.writeHead(500).end(`bad request to ${req.url}`);
    const err = await failure(
      createComfyHttp({ baseUrl: stub.base, token: TOKEN, tokenMode: 'query' }).queue(),
    );
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).detail).toContain('token=REDACTED');
    expectNoToken(err);
  });

  it('a 200 that is not JSON → ServerError', async () => {
    stub.routes['GET /api/queue'] = (_q, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"queue_');
    expect(await failure(createComfyHttp({ baseUrl: stub.base }).queue())).toBeInstanceOf(ServerError);
  });
});

describe('auth token placement', () => {
  it.each<[TokenMode, boolean, boolean]>([
    ['query', true, false],
    ['header', false, true],
    ['both', true, true],
  ])('tokenMode %s: in query %s, in header %s', async (tokenMode, inQuery, inHeader) => {
    stub.routes['GET /api/prompt'] = json(200, { exec_info: { queue_remaining: 0 } });
    await createComfyHttp({ baseUrl: stub.base, token: TOKEN, tokenMode }).promptStatus();
    const req = stub.seen[0]!;
    expect(new URL(req.url, stub.base).searchParams.get('token') === TOKEN).toBe(inQuery);
    expect(req.headers.authorization === `Bearer ${TOKEN}`).toBe(inHeader);
  });

  it('without a token sends neither', async () => {
    stub.routes['GET /api/prompt'] = json(200, { exec_info: { queue_remaining: 0 } });
    await createComfyHttp({ baseUrl: stub.base }).promptStatus();
    expect(stub.seen[0]!.url).toBe('/api/prompt');
    expect(stub.seen[0]!.headers.authorization).toBeUndefined();
  });
});

function expectNoToken(err: ComfyError): void {
  const all = [
    err.message,
    err.url ?? '',
    String(err),
    JSON.stringify(err),
    (err as ServerError).detail ?? '',
  ];
  for (const text of all) expect(text).not.toContain(TOKEN);
}
