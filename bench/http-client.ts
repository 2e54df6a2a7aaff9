// A lean keep-alive HTTP client for load generation, shared by the benchmarks: undici's fetch costs several
// ms of client CPU per request in the same process, which would be measured as server latency. It lives
// apart from the server's bench environment so the ingest load worker does not load the server stack.
import http from 'node:http';

const defaultAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function request(
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: string,
  agent: http.Agent = defaultAgent,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
