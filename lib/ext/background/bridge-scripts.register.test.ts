/**
 * The tab bridge is registered for configured servers' pages only, port included, and follows the
 * servers: registered once, replaced when they change, removed when none is left.
 */
import { describe, expect, it } from 'vitest';
import { makeServer } from '../testing/records';
import {
  bridgeMatches,
  type ContentScriptsApi,
  contentScriptsRegistrar,
  type FirefoxScriptOptions,
  RELAY_SCRIPT,
  type RegisteredScript,
  type ScriptingApi,
  scriptingRegistrar,
  TAP_SCRIPT,
} from './bridge-scripts';

describe('the pages the bridge runs on', () => {
  it.each([
    [['http://127.0.0.1:8188'], ['http://127.0.0.1:8188/*']],
    [['http://127.0.0.1:8188/'], ['http://127.0.0.1:8188/*']],
    [['https://comfy.example.com/base'], ['https://comfy.example.com/base/*']],
    [['https://comfy.example.com:443/'], ['https://comfy.example.com/*']],
    [['http://[::1]:8188'], ['http://[::1]:8188/*']],
    [
      ['http://localhost:8000', 'http://127.0.0.1:8188', 'http://localhost:8000'],
      ['http://127.0.0.1:8188/*', 'http://localhost:8000/*'],
    ],
    [['ftp://nope', 'not a url'], []],
    [[], []],
  ])('servers %j → %j', (urls, expected) => {
    expect(bridgeMatches(urls.map((u, i) => makeServer(`s${i}`, u)))).toEqual(expected);
  });

  it('leaves out disabled servers', () => {
    expect(bridgeMatches([makeServer('off', 'http://127.0.0.1:8188', { enabled: false })])).toEqual([]);
  });
});

function fakeScripting() {
  const registered = new Map<string, RegisteredScript>();
  const calls: string[] = [];
  const api: ScriptingApi = {
    getRegisteredContentScripts: async (filter) =>
      [...registered.values()].filter((s) => !filter?.ids || filter.ids.includes(s.id)),
    registerContentScripts: async (scripts) => {
      calls.push('register');
      await new Promise((r) => setTimeout(r, 2));
      for (const s of scripts) {
        if (registered.has(s.id)) throw new Error(`Duplicate script ID '${s.id}'`);
        registered.set(s.id, s);
      }
    },
    unregisterContentScripts: async (filter) => {
      calls.push('unregister');
      for (const id of filter?.ids ?? [...registered.keys()]) registered.delete(id);
    },
  };
  return { api, registered, calls };
}

describe('Chrome: chrome.scripting', () => {
  const A = makeServer('a', 'http://127.0.0.1:8188');
  const B = makeServer('b', 'http://192.168.1.20:8188');

  it('registers the tap in the page world and the relay isolated, for the servers only, kept across sessions', async () => {
    const f = fakeScripting();
    await scriptingRegistrar(f.api).sync([A]);
    expect([...f.registered.values()]).toEqual([
      expect.objectContaining({ js: [TAP_SCRIPT], world: 'MAIN', matches: ['http://127.0.0.1:8188/*'] }),
      expect.objectContaining({
        js: [RELAY_SCRIPT],
        world: 'ISOLATED',
        matches: ['http://127.0.0.1:8188/*'],
      }),
    ]);
    for (const s of f.registered.values())
      expect(s).toMatchObject({ allFrames: false, persistAcrossSessions: true });
  });

  it('does nothing when the registration already matches (a worker restart), replaces it when servers change', async () => {
    const f = fakeScripting();
    const r = scriptingRegistrar(f.api);
    await r.sync([A]);
    await scriptingRegistrar(f.api).sync([A]); // a new worker finds the persisted registration
    expect(f.calls).toEqual(['register']);
    await r.sync([A, B]);
    expect(f.calls).toEqual(['register', 'unregister', 'register']);
    expect(f.registered.get('comfypulse-tap')?.matches).toEqual([
      'http://127.0.0.1:8188/*',
      'http://192.168.1.20:8188/*',
    ]);
    await r.sync([]);
    expect(f.registered.size).toBe(0);
  });

  it('replaces a half left over from an older version', async () => {
    const f = fakeScripting();
    f.registered.set('comfypulse-bridge', {
      id: 'comfypulse-bridge',
      js: ['old.js'],
      matches: ['http://127.0.0.1:8188/*'],
    });
    await scriptingRegistrar(f.api).sync([A]);
    expect(f.registered.get('comfypulse-bridge')?.js).toEqual([RELAY_SCRIPT]);
    expect(f.registered.has('comfypulse-tap')).toBe(true);
  });

  it('applies overlapping changes one after another, ending with the last', async () => {
    const f = fakeScripting();
    const r = scriptingRegistrar(f.api);
    await Promise.all([r.sync([A]), r.sync([A, B]), r.sync([B])]);
    expect(f.registered.get('comfypulse-tap')?.matches).toEqual(['http://192.168.1.20:8188/*']);
  });

  it('a refused registration fails the sync, and the next one tries again', async () => {
    const f = fakeScripting();
    const refusing = {
      ...f.api,
      registerContentScripts: async () => Promise.reject(new Error('Invalid match')),
    };
    await expect(scriptingRegistrar(refusing).sync([A])).rejects.toThrow('Invalid match');
    await scriptingRegistrar(f.api).sync([A]);
    expect(f.registered.size).toBe(2);
  });
});

describe('Firefox MV2: contentScripts.register', () => {
  function fakeContentScripts(mayReach: (host: string) => boolean = () => true) {
    const live = new Set<FirefoxScriptOptions>();
    const api: ContentScriptsApi = {
      register: async (o) => {
        if (!o.matches.every(mayReach))
          throw new Error(`Permission denied to register a content script for ${o.matches}`);
        live.add(o);
        return { unregister: () => live.delete(o) };
      },
    };
    return { api, live };
  }

  it("matches the host and narrows to the server's port with includeGlobs (Firefox patterns take no port)", async () => {
    const f = fakeContentScripts();
    await contentScriptsRegistrar(f.api).sync([
      makeServer('a', 'http://127.0.0.1:8188'),
      makeServer('b', 'http://127.0.0.1:8000/comfy'),
    ]);
    expect([...f.live]).toEqual([
      {
        js: [{ file: TAP_SCRIPT }],
        matches: ['http://127.0.0.1/*'],
        includeGlobs: ['http://127.0.0.1:8000/comfy/*'],
        world: 'MAIN',
        runAt: 'document_idle',
        allFrames: false,
      },
      expect.objectContaining({ js: [{ file: RELAY_SCRIPT }], world: 'ISOLATED' }),
      expect.objectContaining({ js: [{ file: TAP_SCRIPT }], includeGlobs: ['http://127.0.0.1:8188/*'] }),
      expect.objectContaining({ js: [{ file: RELAY_SCRIPT }], includeGlobs: ['http://127.0.0.1:8188/*'] }),
    ]);
  });

  it('a server whose host it may not reach costs only that server its bridge, and the next sync retries', async () => {
    let granted = false;
    const f = fakeContentScripts((host) => granted || host !== 'http://10.0.0.7/*');
    const r = contentScriptsRegistrar(f.api);
    const servers = [makeServer('a', 'http://127.0.0.1:8188'), makeServer('lan', 'http://10.0.0.7:8188')];
    await expect(r.sync(servers)).rejects.toThrow('2 bridge registrations refused');
    expect([...f.live].map((o) => o.includeGlobs)).toEqual([
      ['http://127.0.0.1:8188/*'],
      ['http://127.0.0.1:8188/*'],
    ]);
    granted = true;
    await r.sync(servers);
    expect(f.live.size).toBe(4);
  });

  it('replaces its registrations when servers change and drops them when none is left', async () => {
    const f = fakeContentScripts();
    const r = contentScriptsRegistrar(f.api);
    await r.sync([makeServer('a', 'http://127.0.0.1:8188')]);
    const first = [...f.live];
    await r.sync([makeServer('a', 'http://127.0.0.1:8188')]);
    expect([...f.live]).toEqual(first);
    await r.sync([makeServer('b', 'https://gpu.lan:8443')]);
    expect([...f.live].map((o) => [o.matches, o.includeGlobs])).toEqual([
      [['https://gpu.lan/*'], ['https://gpu.lan:8443/*']],
      [['https://gpu.lan/*'], ['https://gpu.lan:8443/*']],
    ]);
    await r.sync([]);
    expect(f.live.size).toBe(0);
  });
});
