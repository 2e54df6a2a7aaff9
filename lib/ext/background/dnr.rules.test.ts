import { describe, expect, it } from 'vitest';
import { makeServer } from '../testing/records';
import {
  buildHeaderRules,
  type DnrApi,
  DOCTOR_RULE_ID_BASE,
  doctorRuleRunner,
  doctorRules,
  extensionInitiator,
  type HeaderRule,
  syncHeaderRules,
} from './dnr';

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

  it('adds an Authorization rule for the handshake and /view images of a header-mode token, never for query mode', () => {
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
    // fetches set the header themselves; a WebSocket and an <img> cannot. Scoped like the Origin rule:
    // the extension as initiator and this server's host and port only, so no web page's image gets it
    expect(auth[0]!.condition.resourceTypes).toEqual(['websocket', 'image']);
    expect(auth[0]!.condition.initiatorDomains).toEqual([EXT]);
    expect(
      new RegExp(auth[0]!.condition.regexFilter).test('http://127.0.0.1:8188/api/view?filename=a.png'),
    ).toBe(true);
    expect(new RegExp(auth[0]!.condition.regexFilter).test('http://127.0.0.1:9000/api/view')).toBe(false);
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

function fakeDnr() {
  const rules: HeaderRule[] = [];
  const log: string[] = [];
  const api: DnrApi = {
    getSessionRules: async () => rules.map((r) => ({ id: r.id })),
    updateSessionRules: async (o) => {
      for (const id of o.removeRuleIds ?? []) {
        const i = rules.findIndex((r) => r.id === id);
        if (i >= 0) rules.splice(i, 1);
      }
      for (const r of o.addRules ?? []) {
        if (rules.some((x) => x.id === r.id)) throw new Error(`duplicate rule id ${r.id}`);
        rules.push(r);
      }
      log.push(
        `add ${(o.addRules ?? []).map((r) => r.id).join(',')} remove ${(o.removeRuleIds ?? []).join(',')}`,
      );
    },
  };
  return { api, rules, log };
}

describe("the doctor's temporary rules", () => {
  const target = { url: 'http://127.0.0.1:8001', token: 'T9', tokenMode: 'header' as const };

  it('are the rules saving the server would give it, in their own id range, winning by priority', () => {
    const rules = doctorRules(target, EXT);
    expect(rules.map((r) => [r.id, r.priority, r.action.requestHeaders[0]!.header])).toEqual([
      [DOCTOR_RULE_ID_BASE, 2, 'origin'],
      [DOCTOR_RULE_ID_BASE + 1, 2, 'authorization'],
    ]);
    expect(rules[0]!.action.requestHeaders[0]!.value).toBe('http://127.0.0.1:8001');
    expect(rules[0]!.condition.initiatorDomains).toEqual([EXT]);
  });

  it('are in place during the probe only, and removed when it fails too', async () => {
    const dnr = fakeDnr();
    const run = doctorRuleRunner(dnr.api, EXT);
    const during = await run(target, async () => dnr.rules.map((r) => r.id));
    expect(during).toEqual([DOCTOR_RULE_ID_BASE, DOCTOR_RULE_ID_BASE + 1]);
    expect(dnr.rules).toEqual([]);
    await expect(
      run(target, async () => {
        throw new Error('engine gone');
      }),
    ).rejects.toThrow('engine gone');
    expect(dnr.rules).toEqual([]);
  });

  it("leave the servers' own rules alone, and run one probe at a time", async () => {
    const dnr = fakeDnr();
    await syncHeaderRules(dnr.api, [makeServer('a', 'http://127.0.0.1:8188')], EXT);
    const run = doctorRuleRunner(dnr.api, EXT);
    const seen = await Promise.all([
      run(target, async () => dnr.rules.map((r) => r.id)),
      run({ url: 'http://127.0.0.1:8002' }, async () => dnr.rules.map((r) => r.id)),
    ]);
    expect(seen).toEqual([
      [1000, DOCTOR_RULE_ID_BASE, DOCTOR_RULE_ID_BASE + 1],
      [1000, DOCTOR_RULE_ID_BASE],
    ]);
    expect(dnr.rules.map((r) => r.id)).toEqual([1000]);
  });

  it('still probes when the browser refuses them, and says why', async () => {
    const dnr = fakeDnr();
    const refused: unknown[] = [];
    const refusing: DnrApi = {
      ...dnr.api,
      updateSessionRules: async () => Promise.reject(new Error('no DNR')),
    };
    expect(
      await doctorRuleRunner(refusing, EXT)(
        target,
        async () => 'probed',
        (e) => refused.push(e),
      ),
    ).toBe('probed');
    expect(refused.length).toBeGreaterThan(0);
  });
});
