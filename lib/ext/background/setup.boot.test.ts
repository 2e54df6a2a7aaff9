import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Translate } from '../i18n';
import type { MessageSender } from '../messaging';
import { loadTranslator } from '../testing/i18n';
import { freshDb, makeJob } from '../testing/records';
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
      if (type === 'engine:status') return { startedAt: 42 } as never;
      return { ok: true } as never;
    },
  };
  const send = (type: string, payload: unknown, sender: MessageSender = {}) =>
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
      updateSessionRules: async () => {
        throw new Error('Type error for parameter options (Error processing addRules.0.condition)');
      },
    };
    setupBackground({
      db: freshDb('bg'),
      apis: { ...w.apis, declarativeNetRequest: refusing },
      engine: w.engine,
      t,
      now: () => 1,
      log: (m) => logged.push(m),
    });
    expect(await w.send('bg:runDoctor', { url: 'http://127.0.0.1:8188' })).toEqual({ ok: true });
    expect(w.calls).toContain('engine:runDoctor');
    expect(logged).toContain('header rules refused');
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
