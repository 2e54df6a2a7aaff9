import { describe, expect, it } from 'vitest';
import { loadConfig, parseComfyServers } from './config';

describe('configuration from the environment', () => {
  it('defaults to PGlite on loopback with no ComfyUI servers', () => {
    expect(loadConfig({})).toMatchObject({
      pgliteDir: './.data/pglite',
      host: '127.0.0.1',
      port: 8787,
      comfyServers: {},
    });
    expect(loadConfig({}).databaseUrl).toBeUndefined();
  });

  it.each([
    [
      'name=url list',
      'local=http://127.0.0.1:8188, gpu=https://gpu.lan/comfy/',
      {
        local: { url: 'http://127.0.0.1:8188' },
        gpu: { url: 'https://gpu.lan/comfy' },
      },
    ],
    [
      'JSON with a token',
      '{"gpu":{"url":"https://gpu.lan","token":"s3cret"},"local":"http://127.0.0.1:8188"}',
      {
        gpu: { url: 'https://gpu.lan', token: 's3cret' },
        local: { url: 'http://127.0.0.1:8188' },
      },
    ],
  ])('parses COMFY_SERVERS as a %s', (_n, raw, expected) => {
    expect(parseComfyServers(raw)).toEqual(expected);
  });

  it.each([
    ['a non-http URL', 'local=file:///etc'],
    ['an entry without =', 'local'],
    ['a bad name', 'my server=http://x'],
    ['an unknown JSON field', '{"a":{"url":"http://x","tls":true}}'],
  ])('refuses %s at start', (_n, raw) => {
    expect(() => parseComfyServers(raw)).toThrow();
  });

  it('refuses a non-numeric PORT and reads limits', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow();
    expect(
      loadConfig({ INGEST_MAX_RECORDS: '10', INGEST_RATE: '2.5', DATABASE_URL: 'postgres://x/y' }),
    ).toMatchObject({
      ingestMaxRecords: 10,
      ingestRate: 2.5,
      databaseUrl: 'postgres://x/y',
    });
  });

  it('reads the security settings, with defaults that keep n8n on the same machine or the LAN working', () => {
    expect(loadConfig({})).toMatchObject({
      trustProxy: false,
      webhookAllowPrivate: true,
      webhookAllowedHosts: [],
      ingestMaxFutureMs: 300_000,
      streamsPerKey: 20,
    });
    expect(
      loadConfig({
        TRUST_PROXY: '1',
        WEBHOOK_ALLOW_PRIVATE: 'false',
        WEBHOOK_ALLOWED_HOSTS: ' N8N.lan., hooks.example.com ,',
        PROMPT_RATE: '0.5',
        SIGNIN_PER_MINUTE: '3',
      }),
    ).toMatchObject({
      trustProxy: true,
      webhookAllowPrivate: false,
      webhookAllowedHosts: ['n8n.lan', 'hooks.example.com'],
      promptRate: 0.5,
      signinPerMinute: 3,
    });
  });

  it.each([
    ['TRUST_PROXY', 'maybe'],
    ['WEBHOOK_ALLOW_PRIVATE', 'sometimes'],
    ['STREAMS_PER_KEY', '0'],
  ])('refuses %s=%s at start', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow();
  });
});
