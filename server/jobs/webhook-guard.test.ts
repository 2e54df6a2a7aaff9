// Where webhooks may go: link-local and metadata destinations never; loopback and private by default (n8n
// on the same box or the LAN) unless the operator turns them off; an allow-list of hosts when set. The
// sender resolves once and connects to the address it checked.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedSender } from './webhook';
import { refusedAddress, refusedUrl, type WebhookPolicy, WebhookRefused } from './webhook-guard';

const open: WebhookPolicy = { allowPrivate: true, allowedHosts: [] };
const closed: WebhookPolicy = { allowPrivate: false, allowedHosts: [] };

describe('webhook destination policy', () => {
  it.each([
    ['169.254.169.254', /link/i],
    ['169.254.10.1', /link/i],
    ['fe80::1', /link/i],
    ['::ffff:169.254.169.254', /link/i],
    ['64:ff9b::a9fe:a9fe', /169\.254\.169\.254/],
    ['fd00:ec2::254', /metadata/],
    ['100.100.100.200', /metadata/],
    ['168.63.129.16', /metadata/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
  ])('always refuses %s', (address, why) => {
    expect(refusedAddress(address, open)).toMatch(why);
    expect(refusedAddress(address, closed)).toMatch(why);
  });

  it.each([
    '127.0.0.1',
    '::1',
    '10.0.0.5',
    '192.168.1.20',
    '172.16.3.4',
    '100.64.0.7',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
  ])(
    'allows the private or loopback address %s by default, and refuses it when private addresses are off',
    (address) => {
      expect(refusedAddress(address, open)).toBeNull();
      expect(refusedAddress(address, closed)).toMatch(/WEBHOOK_ALLOW_PRIVATE/);
    },
  );

  it.each(['93.184.216.34', '2606:4700::1111'])('allows the public address %s', (address) => {
    expect(refusedAddress(address, closed)).toBeNull();
  });

  it.each([
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata host/],
    ['http://METADATA.google.internal./x', /metadata host/],
    ['http://169.254.169.254/latest/meta-data/', /link/i],
    ['http://[fe80::1]:8080/', /link/i],
    ['ftp://n8n.lan/x', /not http/],
  ])('refuses the URL %s before resolving anything', (url, why) => {
    expect(refusedUrl(url, open)).toMatch(why);
  });

  it('restricts webhooks to the allow-list when one is set', () => {
    const listed: WebhookPolicy = { allowPrivate: true, allowedHosts: ['n8n.lan'] };
    expect(refusedUrl('http://n8n.lan:5678/webhook-waiting/1', listed)).toBeNull();
    expect(refusedUrl('http://N8N.lan./x', listed)).toBeNull();
    expect(refusedUrl('http://evil.example/x', listed)).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
    expect(refusedUrl('http://127.0.0.1:5678/x', listed)).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
  });
});

describe('the webhook sender', () => {
  let receiver: Server;
  let port: number;
  const received: { host: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ host: req.headers.host, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => receiver.close(r)));

  const send = (policy: WebhookPolicy, url: string, resolve?: Parameters<typeof guardedSender>[1]) =>
    guardedSender(policy, resolve)(url, '{"event":"job.finished"}', AbortSignal.timeout(5000));

  it('delivers to an n8n on 127.0.0.1 by default', async () => {
    expect(await send(open, `http://127.0.0.1:${port}/webhook-waiting/7`)).toEqual({
      status: 204,
      retryAfter: null,
    });
    expect(received.at(-1)?.body).toBe('{"event":"job.finished"}');
  });

  it('refuses 169.254.169.254 without connecting', async () => {
    await expect(send(open, 'http://169.254.169.254/latest/meta-data/')).rejects.toBeInstanceOf(
      WebhookRefused,
    );
  });

  it('refuses a host name that resolves to a metadata or link-local address, and connects nowhere', async () => {
    const before = received.length;
    const lookups: string[] = [];
    const rebinding = async (host: string) => {
      lookups.push(host);
      return [
        { address: '127.0.0.1', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ];
    };
    await expect(send(open, `http://hooks.example:${port}/x`, rebinding)).rejects.toThrow(
      /169\.254\.169\.254/,
    );
    expect(lookups).toEqual(['hooks.example']);
    expect(received.length).toBe(before);
  });

  it('connects to the very address it checked: one resolution per delivery, whatever the name resolves to later', async () => {
    // A rebinding name: the first answer is allowed, every later one is the metadata address.
    let calls = 0;
    const rebinding = async () =>
      calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '169.254.169.254', family: 4 }];
    const res = await send(open, `http://n8n.example:${port}/webhook/run`, rebinding);
    expect(res.status).toBe(204);
    expect(calls).toBe(1);
    expect(received.at(-1)?.host).toBe(`n8n.example:${port}`);
  });

  it('refuses loopback when private addresses are turned off, and names outside the allow-list', async () => {
    await expect(send(closed, `http://127.0.0.1:${port}/x`)).rejects.toThrow(/WEBHOOK_ALLOW_PRIVATE/);
    const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(send(closed, `http://n8n.example:${port}/x`, toLoopback)).rejects.toThrow(
      /WEBHOOK_ALLOW_PRIVATE/,
    );
    const listed: WebhookPolicy = { allowPrivate: true, allowedHosts: ['n8n.example'] };
    expect((await send(listed, `http://n8n.example:${port}/x`, toLoopback)).status).toBe(204);
    await expect(send(listed, `http://other.example:${port}/x`, toLoopback)).rejects.toThrow(
      /WEBHOOK_ALLOWED_HOSTS/,
    );
  });
});
