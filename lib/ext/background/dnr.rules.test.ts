import { describe, expect, it } from 'vitest';
import { makeServer } from '../testing/records';
import { buildHeaderRules, type DnrApi, extensionInitiator, type HeaderRule, syncHeaderRules } from './dnr';

const EXT = 'abcdefghijklmnopabcdefghijklmnop';

describe('the initiator the rules are scoped to', () => {
  it.each([
    [
      'Chrome: the extension id',
      'chrome-extension://pjkjafjciljoajlgpeaaopnjbmdhjion/',
      'pjkjafjciljoajlgpeaaopnjbmdhjion',
    ],
    [
      'Firefox: the internal UUID, not the gecko id',
      'moz-extension://3c5a5b4e-6f2d-4a51-9d1e-0c0a7e2b1f10/',
      '3c5a5b4e-6f2d-4a51-9d1e-0c0a7e2b1f10',
    ],
  ])('%s', (_name, base, expected) => {
    expect(extensionInitiator({ getURL: (p) => `${base}${p.replace(/^\//, '')}` })).toBe(expected);
  });
});

describe('DNR header rules', () => {
  const servers = [
    makeServer('a', 'http://127.0.0.1:8188'),
    makeServer('b', 'http://127.0.0.1:8000'),
    makeServer('c', 'https://comfy.example.com/base'),
    makeServer('off', 'http://10.0.0.9:8188', { enabled: false }),
  ];
  const rules = buildHeaderRules(servers, EXT);

  it('makes one Origin rule per enabled server, scoped to the extension and that host', () => {
    expect(rules.map((r) => [r.condition.requestDomains, r.action.requestHeaders[0]?.value])).toEqual([
      [['127.0.0.1'], 'http://127.0.0.1:8188'],
      [['127.0.0.1'], 'http://127.0.0.1:8000'],
      [['comfy.example.com'], 'https://comfy.example.com'],
    ]);
    for (const r of rules) {
      expect(r.condition.initiatorDomains).toEqual([EXT]);
      expect(r.condition.resourceTypes.sort()).toEqual(['websocket', 'xmlhttprequest']);
      expect(r.action.requestHeaders).toEqual([
        { header: 'origin', operation: 'set', value: expect.any(String) },
      ]);
    }
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });

  const matches = (r: HeaderRule, url: string) => new RegExp(r.condition.regexFilter).test(url);

  it.each([
    [0, 'http://127.0.0.1:8188/api/prompt', true],
    [0, 'ws://127.0.0.1:8188/ws?clientId=x', true],
    [0, 'http://127.0.0.1:8000/api/prompt', false],
    [0, 'http://127.0.0.1:81889/x', false],
    [0, 'https://127.0.0.1:8188/x', false],
    [1, 'ws://127.0.0.1:8000/ws', true],
    [2, 'wss://comfy.example.com/base/ws', true],
    [2, 'https://comfy.example.com/base/api/queue', true],
    [2, 'https://comfy.example.com.evil.net/', false],
    [2, 'http://comfy.example.com/', false],
  ])('rule %i matching %s is %s (the port pins the server)', (i, url, expected) => {
    expect(matches(rules[i]!, url)).toBe(expected);
  });

  it('adds a WebSocket-only Authorization rule for a header-mode token, never for query mode', () => {
    const withToken = buildHeaderRules(
      [
        makeServer('h', 'http://127.0.0.1:8188', { token: 'T1', tokenMode: 'header' }),
        makeServer('q', 'http://127.0.0.1:9000', { token: 'T2', tokenMode: 'query' }),
      ],
      EXT,
    );
    const auth = withToken.filter((r) => r.action.requestHeaders[0]?.header === 'authorization');
    expect(auth).toHaveLength(1);
    expect(auth[0]!.action.requestHeaders[0]!.value).toBe('Bearer T1');
    expect(auth[0]!.condition.resourceTypes).toEqual(['websocket']);
    expect(JSON.stringify(withToken)).not.toContain('T2');
  });

  it('replaces only its own session rules in one update', async () => {
    const calls: Parameters<DnrApi['updateSessionRules']>[0][] = [];
    const api: DnrApi = {
      getSessionRules: async () => [{ id: 7 }, { id: 1000 }, { id: 1004 }],
      updateSessionRules: async (o) => {
        calls.push(o);
      },
    };
    await syncHeaderRules(api, servers, EXT);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.removeRuleIds).toEqual([1000, 1004]);
    expect(calls[0]!.addRules).toHaveLength(3);
  });
});
