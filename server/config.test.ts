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
});
