// Test helpers for lib/sync: an isolated in-memory IndexedDB per outbox, job records, a fake ingest
// endpoint with the server's newest-wins rule that counts what it received, and real HTTP endpoints on
// 127.0.0.1 for answers that are not our server's (an nginx, another app, a login page).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SyncOutbox } from './outbox';
import {
  type IngestBatch,
  IngestBatchSchema,
  type IngestRejectCode,
  type IngestResult,
  type JobRecord,
} from './schema';
import { COMFYPULSE_HEADER, COMFYPULSE_HEADER_VALUE } from './uploader';

export function memoryOutbox(): SyncOutbox {
  return new SyncOutbox({ indexedDB: new IDBFactory(), IDBKeyRange });
}

export function record(promptId: string, updatedAt: number, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    server: 'http://127.0.0.1:8188',
    promptId,
    status: 'running',
    own: true,
    updatedAt,
    currentNode: '3',
    progress: 0.5,
    outputs: {},
    nodes: [],
    ...overrides,
  };
}

/** The mark every answer of our sync server carries (contract C1). */
export const OURS = { [COMFYPULSE_HEADER]: COMFYPULSE_HEADER_VALUE };

/** An error answer exactly as our server gives it. */
export function ourError(status: number, code: string, message: string, extra: object = {}): Response {
  return Response.json({ error: { code, message, ...extra } }, { status, headers: OURS });
}

export interface FakeIngest {
  fetch: typeof fetch;
  /** Latest stored record per prompt id. */
  stored: Map<string, JobRecord>;
  /** Every record received, in order (duplicates included). */
  received: JobRecord[];
  requests: number;
  /** Decides the answer; default 200. Return a Response to answer that instead. */
  respond: (batch: IngestBatch, attempt: number) => Response | Promise<Response> | undefined;
  /** Our server's per-record verdict: return a rejection, or undefined to judge by newest-wins. */
  reject: (r: JobRecord) => { code: IngestRejectCode; message: string } | undefined;
}

export function fakeIngest(): FakeIngest {
  const f: FakeIngest = {
    stored: new Map(),
    received: [],
    requests: 0,
    respond: () => undefined,
    reject: () => undefined,
    fetch: async (_url, init) => {
      f.requests++;
      const batch = IngestBatchSchema.parse(JSON.parse(String(init?.body)));
      const override = await f.respond(batch, f.requests);
      if (override) return override;
      const results: IngestResult[] = batch.records.map((r) => {
        f.received.push(r);
        const rejected = f.reject(r);
        if (rejected) return { status: 'rejected', ...rejected };
        const cur = f.stored.get(r.promptId);
        if (cur && r.updatedAt <= cur.updatedAt) return { status: 'unchanged' };
        f.stored.set(r.promptId, r);
        return { status: 'applied' };
      });
      const count = (s: string) => results.filter((r) => r.status === s).length;
      return Response.json(
        { accepted: results.length - count('rejected'), applied: count('applied'), results },
        { headers: OURS },
      );
    },
  };
  return f;
}

export interface Endpoint {
  url: string;
  /** Requests received, by path. */
  hits: string[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (a free port) answering with `handle`. */
export async function startEndpoint(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Endpoint> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      hits.push(`${req.method} ${req.url}`);
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** nginx's own error page, as nginx 1.24 sends it for `status`. */
export function nginxPage(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { server: 'nginx/1.24.0', 'content-type': 'text/html', connection: 'close' });
  res.end(
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n`,
  );
}
