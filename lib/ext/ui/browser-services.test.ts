// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createBrowserServices } from './browser-services';
import { parseJobHash, sidePanelPath } from './route';

type SidePanelFake = {
  open: (o: { windowId: number }) => Promise<void>;
  setOptions: (o: unknown) => Promise<void>;
};
const sidePanel = (fakeBrowser as unknown as { sidePanel: SidePanelFake }).sidePanel;

/** The side panel's messages to the worker (the page's `bg:ensureEngine` on opening is pinned apart). */
function listenBg() {
  const got: unknown[] = [];
  fakeBrowser.runtime.onMessage.addListener((m: unknown) => {
    if ((m as { type?: string }).type === 'bg:ensureEngine')
      return Promise.resolve({ wasRunning: true, startedAt: 1 });
    got.push(m);
    return Promise.resolve({ ok: true });
  });
  return got;
}

afterEach(() => {
  fakeBrowser.reset();
  vi.restoreAllMocks();
});

describe('a page opening', () => {
  it('wakes the worker with bg:ensureEngine and trusts connection states once the engine vouched', async () => {
    const got: unknown[] = [];
    vi.spyOn(fakeBrowser.runtime, 'sendMessage').mockImplementation(async (m: unknown) => {
      got.push(m);
      return { wasRunning: false, startedAt: 1234 };
    });
    const services = createBrowserServices();
    expect(services.engine.getSnapshot().startedAt).toBeNull();
    await vi.waitFor(() => expect(services.engine.getSnapshot().startedAt).toBe(1234));
    expect(got).toEqual([{ type: 'bg:ensureEngine', payload: {} }]);
    services.engine.close();
    services.live.close();
  });
});

describe('opening the side panel from the popup', () => {
  it('opens it directly in the click, at the main view, without asking the service worker', async () => {
    const calls: unknown[] = [];
    sidePanel.setOptions = async (o) => void calls.push(['setOptions', o]);
    sidePanel.open = async (o) => void calls.push(['open', o]);
    const bg = listenBg();
    const services = createBrowserServices();
    await services.openSidePanel(3);
    expect(calls).toEqual([
      ['setOptions', { path: 'sidepanel.html', enabled: true }],
      ['open', { windowId: 3 }],
    ]);
    expect(bg).toEqual([]);
    services.live.close();
    services.engine.close();
  });

  it('asks the service worker when the direct call is refused', async () => {
    sidePanel.setOptions = async () => undefined;
    sidePanel.open = async () => {
      throw new Error('needs a user gesture');
    };
    const bg = listenBg();
    const services = createBrowserServices();
    await services.openSidePanel(3, 'a:p1');
    expect(bg).toEqual([{ type: 'bg:openSidePanel', payload: { windowId: 3, jobKey: 'a:p1' } }]);
    services.live.close();
    services.engine.close();
  });

  it.each([
    [undefined, 'sidepanel.html'],
    ['srv:1234-5678', 'sidepanel.html#job=srv%3A1234-5678'],
  ])('routes job %s to %s and back', (key, path) => {
    expect(sidePanelPath(key)).toBe(path);
    expect(parseJobHash(path.slice('sidepanel.html'.length))).toBe(key);
  });
});
