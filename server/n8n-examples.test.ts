// The importable n8n workflows in examples/n8n: well-formed n8n workflow JSON using core nodes only,
// wired as documented, and their expressions produce requests this server accepts and read fields its
// answers really have (evaluated against a live run on the simulator).
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../sim';
import { SubmitSchema } from './app';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from './testing/databases';

const dir = new URL('../examples/n8n/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

interface N8nNode {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: [number, number];
  parameters: Record<string, unknown>;
  webhookId?: string;
}
interface N8nWorkflow {
  name: string;
  nodes: N8nNode[];
  connections: Record<string, { main: { node: string; type: string; index: number }[][] }>;
}

const CORE_NODES: Record<string, number> = {
  'n8n-nodes-base.manualTrigger': 0,
  'n8n-nodes-base.webhook': 1,
  'n8n-nodes-base.httpRequest': 1,
  'n8n-nodes-base.wait': 1,
  'n8n-nodes-base.if': 1,
  'n8n-nodes-base.respondToWebhook': 1,
};
const TRIGGERS = ['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.webhook'];

const load = (f: string) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as N8nWorkflow;
const node = (wf: N8nWorkflow, name: string) => {
  const n = wf.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node "${name}"`);
  return n;
};
const targets = (wf: N8nWorkflow, from: string, output: number) =>
  (wf.connections[from]?.main[output] ?? []).map((c) => c.node);

/** Evaluates an n8n expression (`={{ js }}` or text with `{{ js }}` parts) with the given context. */
function evaluate(expr: string, ctx: Record<string, unknown>): unknown {
  if (!expr.startsWith('=')) return expr;
  const body = expr.slice(1);
  const names = Object.keys(ctx);
  const run = (js: string) => new Function(...names, `return (${js});`)(...names.map((n) => ctx[n]));
  const whole = /^\{\{([\s\S]*)\}\}$/.exec(body.trim());
  if (whole && !whole[1]!.includes('}}')) return run(whole[1]!);
  return body.replace(/\{\{([\s\S]*?)\}\}/g, (_m, js: string) => String(run(js)));
}

function ifResult(n: N8nNode, ctx: Record<string, unknown>): boolean {
  const c = n.parameters.conditions as {
    combinator: 'and' | 'or';
    conditions: { leftValue: string; rightValue: unknown; operator: { type: string; operation: string } }[];
  };
  const results = c.conditions.map((cond) => {
    const left = evaluate(cond.leftValue, ctx);
    const right = cond.rightValue;
    switch (cond.operator.operation) {
      case 'equals':
        return left === right;
      case 'notEquals':
        return left !== right;
      default:
        throw new Error(`operator ${cond.operator.operation} not modelled`);
    }
  });
  return c.combinator === 'and' ? results.every(Boolean) : results.some(Boolean);
}

describe.each(files)('examples/n8n/%s', (file) => {
  const wf = load(file);

  it('has only expressions that compile (n8n ends an expression at the first "}}")', () => {
    const exprs = JSON.stringify(wf.nodes).match(/\{\{[\s\S]*?\}\}/g) ?? [];
    expect(exprs.length).toBeGreaterThan(0);
    for (const e of exprs) {
      const js = JSON.parse(`"${e.slice(2, -2)}"`) as string;
      expect(
        () => new Function('$json', '$execution', '$workflow', '$', `return (${js});`),
        js,
      ).not.toThrow();
    }
  });

  it('is an n8n workflow of core nodes with unique ids and names', () => {
    expect(typeof wf.name).toBe('string');
    expect(wf.nodes.length).toBeGreaterThan(3);
    expect(new Set(wf.nodes.map((n) => n.id)).size).toBe(wf.nodes.length);
    expect(new Set(wf.nodes.map((n) => n.name)).size).toBe(wf.nodes.length);
    for (const n of wf.nodes) {
      expect(Object.keys(CORE_NODES), n.name).toContain(n.type);
      expect(typeof n.typeVersion).toBe('number');
      expect(n.position).toHaveLength(2);
      expect(typeof n.parameters).toBe('object');
      if (n.type === 'n8n-nodes-base.wait' || n.type === 'n8n-nodes-base.webhook')
        expect(n.webhookId).toBeTruthy();
    }
  });

  it('connects only existing nodes, from one trigger, reaching every node', () => {
    const names = new Set(wf.nodes.map((n) => n.name));
    const triggers = wf.nodes.filter((n) => TRIGGERS.includes(n.type));
    expect(triggers).toHaveLength(1);
    const reached = new Set([triggers[0]!.name]);
    const queue = [triggers[0]!.name];
    while (queue.length) {
      const from = queue.shift()!;
      for (const outputs of wf.connections[from]?.main ?? []) {
        for (const c of outputs) {
          expect(names).toContain(c.node);
          expect(c.type).toBe('main');
          if (!reached.has(c.node)) {
            reached.add(c.node);
            queue.push(c.node);
          }
        }
      }
    }
    expect([...reached].sort()).toEqual([...names].sort());
    for (const from of Object.keys(wf.connections)) expect(names).toContain(from);
  });

  it('branches on acceptance and on success or failure (both IF outputs wired)', () => {
    for (const n of wf.nodes.filter((x) => x.type === 'n8n-nodes-base.if')) {
      expect(targets(wf, n.name, 0).length, `${n.name} true`).toBeGreaterThan(0);
      expect(targets(wf, n.name, 1).length, `${n.name} false`).toBeGreaterThan(0);
    }
    expect(wf.nodes.some((n) => n.name === 'Succeeded?')).toBe(true);
  });
});

describe('examples/n8n/comfypulse-poll-from-webhook.json', () => {
  const wf = load('comfypulse-poll-from-webhook.json');
  it('loops short Waits polling GET /v1/jobs/:id until the job has finished', () => {
    expect(targets(wf, 'Accepted?', 0)).toEqual(['Wait 3 seconds']);
    expect(node(wf, 'Wait 3 seconds').parameters).toMatchObject({ amount: 3, unit: 'seconds' });
    expect(targets(wf, 'Wait 3 seconds', 0)).toEqual(['Get job']);
    expect(targets(wf, 'Finished?', 1)).toEqual(['Wait 3 seconds']);
    const start = evaluate(node(wf, 'Start ComfyUI job').parameters.jsonBody as string, {
      $json: { body: { prompt: { '1': { class_type: 'EmptyImage', inputs: {} } } } },
      $workflow: { id: '8', name: wf.name },
    }) as string;
    expect(SubmitSchema.parse(JSON.parse(start))).toMatchObject({
      server: 'local',
      workflowName: wf.name,
      client: 'n8n',
    });
    const getUrl = evaluate(node(wf, 'Get job').parameters.url as string, {
      $: () => ({ item: { json: { body: { prompt_id: 'p-1' } } } }),
    });
    expect(getUrl).toBe('http://127.0.0.1:8787/v1/jobs/p-1');
    const finished = node(wf, 'Finished?');
    expect(ifResult(finished, { $json: { status: 'running' } })).toBe(false);
    expect(ifResult(finished, { $json: { status: 'error' } })).toBe(true);
    expect(wf.nodes.filter((n) => n.type === 'n8n-nodes-base.respondToWebhook')).toHaveLength(3);
  });
});

describe('examples/n8n/comfypulse-wait-for-webhook.json against the server and the simulator', () => {
  const wf = load('comfypulse-wait-for-webhook.json');
  let sim: Simulator;
  let tdb: TestDatabase;
  let srv: TestServer;
  let resume: { url: string; bodies: unknown[]; close(): Promise<void> };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, originCheck: true });
    tdb = await openTestDatabase('postgres');
    srv = await startTestServer(tdb.db, { comfyServers: { local: { url: sim.url } } });
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        bodies.push(JSON.parse(data));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    resume = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook-waiting/42`,
      bodies,
      close: () => new Promise((r) => server.close(() => r())),
    };
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
    await resume?.close();
    await sim?.close();
  });

  it('passes $execution.resumeUrl as the webhook, and the resumed item takes the success branch', async () => {
    const wait = node(wf, 'Wait for the job to end');
    expect(wait.parameters).toMatchObject({ resume: 'webhook', httpMethod: 'POST' });
    const start = node(wf, 'Start ComfyUI job');
    expect(start.parameters.url).toBe('http://127.0.0.1:8787/v1/prompts');
    const body = JSON.parse(
      evaluate(start.parameters.jsonBody as string, {
        $execution: { resumeUrl: resume.url },
        $workflow: { id: '7', name: wf.name },
      }) as string,
    );
    // The dashboard shows the job by the n8n workflow's name, started by "n8n".
    expect(SubmitSchema.parse(body)).toMatchObject({
      webhook: resume.url,
      workflowName: wf.name,
      client: 'n8n',
    });

    // What n8n's HTTP Request node would send, with the key from its Header Auth credential.
    const res = await srv.request('/v1/prompts', {
      method: 'POST',
      token: await srv.token(['prompts', 'read']),
      body: JSON.stringify(body),
    });
    // The node runs with fullResponse, so the IF sees {statusCode, body}.
    expect(
      ifResult(node(wf, 'Accepted?'), { $json: { statusCode: res.status, body: await res.json() } }),
    ).toBe(true);

    await expect.poll(() => resume.bodies.length, { timeout: 15_000 }).toBe(1);
    // n8n resumes the Wait node with {headers, params, query, body}.
    const item = { headers: {}, params: {}, query: {}, body: resume.bodies[0] };
    expect(item.body).toMatchObject({ job: { workflowName: wf.name, client: 'n8n', source: 'api' } });
    expect(ifResult(node(wf, 'Succeeded?'), { $json: item })).toBe(true);
    const download = evaluate(node(wf, 'Download first output').parameters.url as string, {
      $json: item,
    }) as string;
    expect(download).toMatch(/^http:\/\/127\.0\.0\.1:8787\/v1\/jobs\/[0-9a-f-]{36}\/outputs\/2\/0$/);
    const viaThisServer = download.replace('http://127.0.0.1:8787', '');
    const file = await srv.request(viaThisServer, { token: await srv.token(['read']) });
    expect(file.headers.get('content-type')).toBe('image/png');
  });
});
