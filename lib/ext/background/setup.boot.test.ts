import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Translate } from '../i18n';
import type { MessageSender } from '../messaging';
import { loadTranslator } from '../testing/i18n';
import { freshDb, makeJob, makeServer } from '../testing/records';
import type { RegisteredScript } from './bridge-scripts';
import type { HeaderRule } from './dnr';
import { ensureOffscreen } from './offscreen';
import { type BackgroundApis, type EngineLink, offscreenEngineLink, setupBackground } from './setup';

let t: Translate;
beforeAll(async () => {
  t = await loadTranslator('en');
});

type Listener = (m: unknown, s: MessageSender, r: (x: unknown) => void) => true | undefined;

function fakeWorld(base = 'chrome-extension://extid/', id = 'extid') {
  const calls: string[] = [];
  const rules: HeaderRule[] = [];
  const listeners: Listener[] = [];
  const clicked: ((id: string) => void)[] = [];
  const notifications: unknown[] = [];
  const badge: Record<string, string> = {};
  const tabs: string[] = [];
  const scripts = new Map<string, RegisteredScript>();
  /** The session rules as the engine met them when it ran the doctor. */
  const rulesDuringDoctor: HeaderRule[][] = [];
  let sidePanelFails = false;
  const apis = {
    runtime: {
      id,
      getURL: (p: string) => `${base}${p.replace(/^\//, '')}`,
      sendMessage: async () => undefined,
      onMessage: { addListener: (cb: Listener) => listeners.push(cb) },
      onInstalled: { addListener: () => undefined },
      onStartup: { addListener: () => undefined },
    },
    alarms: { create: () => undefined, onAlarm: { addListener: () => undefined } },
    notifications: {
      create: async (_id: string, o: unknown) => {
        notifications.push(o);
      },
      onClicked: { addListener: (cb: (id: string) => void) => clicked.push(cb) },
    },
    action: {
      setBadgeText: (d: { text: string }) => {
        badge.text = d.text;
      },
      setBadgeBackgroundColor: (d: { color: string }) => {
        badge.color = d.color;
      },
      setTitle: (d: { title: string }) => {
        badge.title = d.title;
      },
    },
    declarativeNetRequest: {
      getSessionRules: async () => rules.map((r) => ({ id: r.id })),
      updateSessionRules: async (o: { removeRuleIds?: number[]; addRules?: HeaderRule[] }) => {
        calls.push('dnr');
        rules.splice(
          0,
          rules.length,
          ...rules.filter((r) => !o.removeRuleIds?.includes(r.id)),
          ...(o.addRules ?? []),
        );
      },
    },
    sidePanel: {
      open: async () => {
        if (sidePanelFails)
          throw new Error('`sidePanel.open()` may only be called in response to a user gesture.');
        calls.push('sidePanel.open');
      },
      setOptions: async (o: { path?: string }) => {
        calls.push(`sidePanel.path=${o.path}`);
      },
    },
    tabs: {
      create: async (o: { url: string }) => {
        tabs.push(o.url);
      },
    },
    scripting: {
      getRegisteredContentScripts: async () => [...scripts.values()],
      registerContentScripts: async (list: RegisteredScript[]) => {
        calls.push('scripts');
        for (const s of list) scripts.set(s.id, s);
      },
      unregisterContentScripts: async (f?: { ids?: string[] }) => {
        for (const id of f?.ids ?? []) scripts.delete(id);
      },
    },
  } satisfies BackgroundApis;
  const world = { engineRunning: false };
  const engine: EngineLink = {
    ensure: async () => {
      calls.push('engine.ensure');
      await new Promise((r) => setTimeout(r, 5));
      const was = world.engineRunning;
      world.engineRunning = true;
      return was;
    },
    call: async (type) => {
      calls.push(type);
      if (type === 'engine:runDoctor') rulesDuringDoctor.push(rules.map((r) => ({ ...r })));
      if (type === 'engine:status') return { startedAt: 42 } as never;
      return { ok: true } as never;
    },
  };
  // the options page, unless a test says who sends
  const send = (type: string, payload: unknown, sender: MessageSender = { url: `${base}options.html` }) =>
    new Promise((resolve) => {
      const answered = listeners.map((l) => l({ type, payload }, sender, resolve));
      if (!answered.some(Boolean)) resolve('unhandled');
    });
  return {
    world,
    apis,
    engine,
    calls,
    rules,
    notifications,
    badge,
    tabs,
    scripts,
    rulesDuringDoctor,
    send,
    click: (id: string) => {
      for (const c of clicked) c(id);
    },
    failSidePanel: () => {
      sidePanelFails = true;
    },
  };
}

describe('service worker setup', () => {
  it('on start creates the default server, then its Origin rule, and only then the engine', async () => {
    const w = fakeWorld();
    const db = freshDb('bg');
    const { boot } = setupBackground({ db, apis: w.apis, engine: w.engine, t, now: () => 1 });
    await boot();
    expect(await db.servers.count()).toBe(1);
    expect(w.rules.map((r) => r.action.requestHeaders[0]?.value)).toEqual(['http://127.0.0.1:8188']);
    expect(w.rules[0]!.condition.initiatorDomains).toEqual(['extid']);
    expect(w.calls.indexOf('dnr')).toBeLessThan(w.calls.indexOf('engine.ensure'));
  });

  it('registers the tab bridge for configured servers only, before the engine starts, and follows changes', async () => {
    const w = fakeWorld();
    const db = freshDb('bg');
    const { boot } = setupBackground({ db, apis: w.apis, engine: w.engine, t, now: () => 1 });
    await boot();
    expect([...w.scripts.values()].map((s) => [s.id, s.matches])).toEqual([
      ['comfypulse-tap', ['http://127.0.0.1:8188/*']],
      ['comfypulse-bridge', ['http://127.0.0.1:8188/*']],
    ]);
    expect(w.calls.indexOf('scripts')).toBeLessThan(w.calls.indexOf('engine.ensure'));
    await w.send('bg:saveServer', { name: 'LAN', url: 'http://192.168.1.9:8188' });
    expect(w.scripts.get('comfypulse-bridge')?.matches).toEqual([
      'http://127.0.0.1:8188/*',
      'http://192.168.1.9:8188/*',
    ]);
    await w.send('bg:removeServer', { id: 'local' });
    expect(w.scripts.get('comfypulse-tap')?.matches).toEqual(['http://192.168.1.9:8188/*']);
  });

  it('migrates tokenless servers saved under the old query default to header mode at start', async () => {
    const w = fakeWorld();
    const db = freshDb('bg');
    await db.servers.put(makeServer('old', 'http://127.0.0.1:8188', { tokenMode: 'query' }));
    const { boot } = setupBackground({ db, apis: w.apis, engine: w.engine, t, now: () => 1 });
    await boot();
    expect((await db.servers.get('old'))?.tokenMode).toBe('header');
  });

  it('probes a server not saved yet with the rules saving it would give it, and removes them after', async () => {
    const w = fakeWorld();
    const { boot } = setupBackground({ db: freshDb('bg'), apis: w.apis, engine: w.engine, t, now: () => 1 });
    await boot();
    await w.send('bg:runDoctor', { url: 'http://127.0.0.1:8001', token: 'T0K', tokenMode: 'header' });
    const [during] = w.rulesDuringDoctor;
    const doctorRule = during!.find((r) => r.condition.regexFilter.includes('8001') && r.priority === 2);
    expect(doctorRule?.action.requestHeaders).toEqual([
      { header: 'origin', operation: 'set', value: 'http://127.0.0.1:8001' },
    ]);
    expect(during!.some((r) => r.action.requestHeaders[0]?.value === 'Bearer T0K')).toBe(true);
    // afterwards only the saved server's rule is left
    expect(w.rules.map((r) => r.action.requestHeaders[0]?.value)).toEqual(['http://127.0.0.1:8188']);
  });

  it('on Firefox scopes the rule to the moz-extension host, not to the gecko id it would refuse', async () => {
    const uuid = '3c5a5b4e-6f2d-4a51-9d1e-0c0a7e2b1f10';
    const w = fakeWorld(`moz-extension://${uuid}/`, 'comfypulse@comfypulse.dev');
    const { boot } = setupBackground({ db: freshDb('bg'), apis: w.apis, engine: w.engine, t, now: () => 1 });
    await boot();
    expect(w.rules.map((r) => r.condition.initiatorDomains)).toEqual([[uuid]]);
  });

  it("restores the engine as soon as the worker starts; a page's bg:ensureEngine joins that start and says the engine was down", async () => {
    const w = fakeWorld();
    setupBackground({ db: freshDb('bg'), apis: w.apis, engine: w.engine, t, now: () => 1 });
    // the top-level boot is in flight: the page's message must not create a second engine
    expect(await w.send('bg:ensureEngine', {})).toEqual({ wasRunning: false, startedAt: 42 });
    expect(w.calls.filter((c) => c === 'engine.ensure')).toHaveLength(1);
    expect(await w.send('bg:ensureEngine', {})).toEqual({ wasRunning: true, startedAt: 42 });
    expect(w.calls.filter((c) => c === 'engine:status')).toHaveLength(2);
  });

  it('saves a server, rebuilds the rules and reloads the engine; ignores engine: messages', async () => {
    const w = fakeWorld();
    const db = freshDb('bg');
    const { boot } = setupBackground({ db, apis: w.apis, engine: w.engine, t, now: () => 1 });
    await boot();
    const r = (await w.send('bg:saveServer', { name: 'LAN', url: 'http://192.168.1.9:8188' })) as {
      ok: boolean;
    };
    expect(r.ok).toBe(true);
    expect(w.rules.map((x) => x.condition.requestDomains[0]).sort()).toEqual(['127.0.0.1', '192.168.1.9']);
    expect(w.calls).toContain('engine:reload');
    expect(await w.send('engine:cancelJob', { serverId: 'x', promptId: 'y' })).toBe('unhandled');
  });

  it.each([
    ['a content script on a loopback page that is no server', 'http://127.0.0.1:9000/'],
    ["a content script on the ComfyUI server's own tab", 'http://127.0.0.1:8188/'],
    ['a content script on a web site', 'https://evil.example/'],
  ])('%s gets no answer: it cannot save a server or run the doctor', async (_who, url) => {
    const w = fakeWorld();
    const db = freshDb('bg');
    const logged: string[] = [];
    const { boot } = setupBackground({
      db,
      apis: w.apis,
      engine: w.engine,
      t,
      now: () => 1,
      log: (m) => logged.push(m),
    });
    await boot();
    const script: MessageSender = { url, tab: { id: 4, windowId: 1 } };
    expect(await w.send('bg:saveServer', { name: 'x', url: 'http://10.9.9.9:8188' }, script)).toBe(
      'unhandled',
    );
    expect(await w.send('bg:runDoctor', { url: 'http://10.9.9.9:8188' }, script)).toBe('unhandled');
    expect(await w.send('bg:removeServer', { id: 'local' }, script)).toBe('unhandled');
    expect((await db.servers.toArray()).map((s) => s.url)).toEqual(['http://127.0.0.1:8188']);
    expect(w.calls).not.toContain('engine:runDoctor');
    expect(logged).toContain(`refused bg:saveServer from ${new URL(url).origin}`);
    // the same request from the options page is answered
    expect(await w.send('bg:saveServer', { name: 'x', url: 'http://10.9.9.9:8188' })).toMatchObject({
      ok: true,
    });
  });

  it('answers the doctor itself when the host permission is missing (the engine cannot ask)', async () => {
    const w = fakeWorld();
    const apis = { ...w.apis, permissions: { contains: async () => false } };
    setupBackground({ db: freshDb('bg'), apis, engine: w.engine, t, now: () => 1 });
    const report = (await w.send('bg:runDoctor', { url: 'http://10.1.2.3:8188' })) as {
      finding: string;
      checks: unknown[];
    };
    expect(report.finding).toBe('permission-missing');
    expect(report.checks).toHaveLength(5);
    expect(w.calls).not.toContain('engine:runDoctor');
    await w.send('bg:runDoctor', { url: 'http://127.0.0.1:8188' });
    expect(w.calls).toContain('engine:runDoctor');
  });

  it("still runs the doctor's checks when the browser refuses the header rules", async () => {
    const w = fakeWorld();
    const logged: string[] = [];
    const refusing = {
      ...w.apis.declarativeNetRequest,
      updateSessionRules: async (o: { addRules?: HeaderRule[] }) => {
        // a refusal that quotes the rule back, token and all
        throw new Error(`Error processing addRules: ${JSON.stringify(o.addRules)}`);
      },
    };
    const db = freshDb('bg');
    await db.servers.put(makeServer('tok', 'http://127.0.0.1:8188', { token: 'S3CRET-T0KEN' }));
    setupBackground({
      db,
      apis: { ...w.apis, declarativeNetRequest: refusing },
      engine: w.engine,
      t,
      now: () => 1,
      log: (m, e) => logged.push(`${m} ${e instanceof Error ? e.message : String(e)}`),
    });
    expect(await w.send('bg:runDoctor', { url: 'http://127.0.0.1:8188' })).toEqual({ ok: true });
    expect(w.calls).toContain('engine:runDoctor');
    expect(logged.some((l) => l.startsWith('header rules refused'))).toBe(true);
    expect(logged.some((l) => l.startsWith('doctor rules refused'))).toBe(true);
    expect(logged.join('\n')).toContain('REDACTED');
    expect(logged.join('\n')).not.toContain('S3CRET-T0KEN');
  });

  it('shows activity on the badge', async () => {
    const w = fakeWorld();
    setupBackground({ db: freshDb('bg'), apis: w.apis, engine: w.engine, t, now: () => 1 });
    await w.send('bg:activity', { running: 1, pending: 0, singleProgress: 0.5 });
    expect(w.badge).toMatchObject({ text: '50%', title: 'ComfyPulse: 1 running, 0 waiting' });
  });

  it('announces a finished job once, and a click opens it in the side panel (or a tab when refused)', async () => {
    const w = fakeWorld();
    const db = freshDb('bg');
    setupBackground({ db, apis: w.apis, engine: w.engine, t, now: () => 100 });
    await db.jobs.put(makeJob('local', 'p1', 'error', 50, { error: { message: 'boom', traceback: [] } }));
    expect(await w.send('bg:jobFinished', { jobKey: 'local:p1' })).toEqual({ ok: true });
    expect(await w.send('bg:jobFinished', { jobKey: 'local:p1' })).toEqual({ ok: false });
    expect(w.notifications).toHaveLength(1);
    w.click('job:local:p1');
    await expect.poll(() => w.calls).toContain('sidePanel.open');
    expect(w.calls).toContain('sidePanel.path=sidepanel.html#job=local%3Ap1');
    w.failSidePanel();
    w.click('job:local:p1');
    await expect.poll(() => w.tabs).toEqual(['chrome-extension://extid/sidepanel.html#job=local%3Ap1']);
  });

  it.each([
    [
      'opens the sidebar at the job',
      true,
      ['sidebar=moz-extension://u/sidepanel.html#job=local%3Ap1', 'sidebar.open'],
      [],
    ],
    [
      'shows the job in a tab where the sidebar is refused',
      false,
      ['sidebar=moz-extension://u/sidepanel.html#job=local%3Ap1'],
      ['moz-extension://u/sidepanel.html#job=local%3Ap1'],
    ],
  ])('on Firefox a notification click %s', async (_name, allowed, calls, tabs) => {
    const w = fakeWorld('moz-extension://u/', 'comfypulse@comfypulse.dev');
    const seen: string[] = [];
    const apis: BackgroundApis = {
      ...w.apis,
      sidePanel: undefined,
      sidebarAction: {
        setPanel: async (d) => {
          seen.push(`sidebar=${d.panel}`);
        },
        open: async () => {
          if (!allowed) throw new Error('sidebarAction.open may only be called from a user input handler');
          seen.push('sidebar.open');
        },
      },
    };
    setupBackground({ db: freshDb('bg'), apis, engine: w.engine, t, now: () => 100 });
    w.click('job:local:p1');
    await expect.poll(() => seen).toEqual(calls);
    await expect.poll(() => w.tabs).toEqual(tabs);
  });
});

describe('offscreen document', () => {
  it('the engine link reports whether the document already existed', async () => {
    let exists = false;
    const w = fakeWorld();
    const apis = {
      ...w.apis,
      runtime: { ...w.apis.runtime, getContexts: async () => (exists ? [{}] : []) },
      offscreen: {
        createDocument: async () => {
          exists = true;
        },
      },
    };
    const link = offscreenEngineLink(apis);
    expect(await link.ensure()).toBe(false);
    expect(await link.ensure()).toBe(true);
  });

  it('is created once when several callers race, and an "only one" error counts as success', async () => {
    let created = 0;
    let exists = false;
    const offscreen = {
      createDocument: async () => {
        created++;
        await new Promise((r) => setTimeout(r, 10));
        if (exists) throw new Error('Only a single offscreen document may be created.');
        exists = true;
      },
    };
    const runtime = { getContexts: async () => (exists ? [{}] : []) };
    await Promise.all([1, 2, 3].map(() => ensureOffscreen(offscreen, runtime, 'u')));
    expect(created).toBe(1);
    exists = false;
    const racing = {
      createDocument: async () =>
        Promise.reject(new Error('Only a single offscreen document may be created.')),
    };
    await expect(ensureOffscreen(racing, runtime, 'u')).resolves.toBe(true);
  });
});
