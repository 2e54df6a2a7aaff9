/**
 * Faults mid-job (issue 3, "Faults"): in each case the UI must end in the true state with no user action.
 * The server never replays what a disconnected client missed (design.md §1.3), so the end state has to come
 * from reconnecting and reconciling over HTTP.
 */
import { expect, type Simulator, test } from './fixtures';
import { jobEntry } from './pages/jobs-view';
import type { ExtensionBrowser } from './support/browser';
import { notificationIds } from './support/sw';

// About 6 s of work: long enough for a fault to land mid-job, short enough to keep the suite quick.
const MID = { steps: 24, delayMs: 250 } as const;

const midJobFaults: {
  name: string;
  inject: (f: { sim: Simulator; extension: ExtensionBrowser }) => unknown;
}[] = [
  { name: 'the simulator drops every socket', inject: ({ sim }) => sim.dropAllSockets() },
  { name: 'the socket turns zombie (open but silent)', inject: ({ sim }) => sim.stallSockets() },
  { name: 'the service worker is stopped', inject: ({ extension }) => extension.stopServiceWorker() },
];

for (const fault of midJobFaults) {
  test(`${fault.name} mid-job: it recovers alone and the job ends in success with its notification`, async ({
    sim,
    extension,
    comfy,
    openSidePanel,
    serviceWorker,
  }) => {
    const panel = await openSidePanel();
    await panel.expectConnection('connected');
    const id = await comfy.post('slow', MID);
    await panel.waitUntilMidJob(id);

    await fault.inject({ sim, extension });

    await panel.expectStatus(id, 'success', 60_000);
    await panel.expectConnection('connected');
    expect((await comfy.waitForHistory(id)).status?.status_str).toBe('success');
    await expect.poll(() => notificationIds(serviceWorker), { timeout: 20_000 }).not.toHaveLength(0);
  });
}

/** Connects once through the side panel, then closes every extension page. */
async function connectThenClosePages(extension: ExtensionBrowser): Promise<void> {
  const page = await extension.openPage('sidepanel.html');
  await expect(page.locator('[data-testid="connection-status"]').first()).toHaveAttribute(
    'data-state',
    'connected',
  );
  await page.close();
}

/** Connects, closes every page, then closes the offscreen engine (as Chrome may) and stops the worker. */
async function connectThenKillEngine(extension: ExtensionBrowser): Promise<void> {
  await connectThenClosePages(extension);
  expect(await extension.extensionTargets()).toContainEqual(expect.stringMatching(/offscreen/));
  // Every start of the worker restores the engine at once (by design), and a last message from the dying
  // engine can start it again between the two steps; so stop the worker on both sides of the close and
  // repeat until both stay down.
  await expect
    .poll(
      async () => {
        await extension.stopServiceWorker();
        await extension.closeOffscreen();
        await extension.stopServiceWorker();
        return extension.extensionTargets();
      },
      { timeout: 20_000, intervals: [0, 500, 1_000], message: 'the engine and the worker stay down' },
    )
    .not.toContainEqual(expect.stringMatching(/offscreen/));
}

async function expectShownAs(extension: ExtensionBrowser, promptId: string, status: string): Promise<void> {
  const page = await extension.openPage('sidepanel.html');
  await expect(page.locator(jobEntry(promptId)).first()).toHaveAttribute('data-status', status, {
    timeout: 10_000,
  });
}

test('the service worker is stopped while no page is open: a job that ran meanwhile is there when one opens', async ({
  extension,
  comfy,
}) => {
  await connectThenClosePages(extension);
  await extension.stopServiceWorker();

  const id = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await comfy.waitForHistory(id);
  await expectShownAs(extension, id, 'success');
});

test('the offscreen engine is closed and the service worker stopped: the watchdog alarm restores both', async ({
  extension,
  comfy,
}) => {
  // With the socket's document gone and the worker stopped, nothing but the watchdog (chrome.alarms, at
  // least 30 s apart) can bring the engine back while no page of the extension is open.
  await connectThenKillEngine(extension);

  const id = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await comfy.waitForHistory(id);
  await expect
    .poll(() => extension.extensionTargets(), { timeout: 45_000, message: 'the offscreen engine is back' })
    .toContainEqual(expect.stringMatching(/offscreen\.html/));
  await expectShownAs(extension, id, 'success');
});

/** Records every `data-state` the first connection badge takes, from the page's first render on. */
function recordBadgeStates(): void {
  const w = window as unknown as { __badgeStates: string[] };
  w.__badgeStates = [];
  const look = () => {
    const s = document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state');
    if (s && w.__badgeStates.at(-1) !== s) w.__badgeStates.push(s);
  };
  new MutationObserver(look).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-state'],
  });
}

test('the offscreen engine is closed and the service worker stopped: opening the popup restores it at once and never shows the dead connection', async ({
  extension,
}) => {
  await connectThenKillEngine(extension);

  // Dexie still says "connected": only a live engine may vouch for that.
  const popup = await extension.context.newPage();
  await popup.addInitScript(recordBadgeStates);
  const opened = Date.now();
  await popup.goto(`chrome-extension://${extension.extensionId}/popup.html`);
  const badge = popup.locator('[data-testid="connection-status"]').first();
  // far inside the 30 s watchdog period: the popup itself woke the worker, which restored the engine
  await expect(badge).toHaveAttribute('data-state', 'connected', { timeout: 5_000 });
  const tookMs = Date.now() - opened;
  expect(await extension.extensionTargets()).toContainEqual(expect.stringMatching(/offscreen\.html/));

  const states = await popup.evaluate(() => (window as unknown as { __badgeStates: string[] }).__badgeStates);
  test
    .info()
    .annotations.push({ type: 'badge states', description: `${states.join(' → ')} in ${tookMs} ms` });
  expect(states[0], `badge states: ${states.join(' → ')}`).toBe('connecting');
  expect(states.indexOf('connected'), `badge states: ${states.join(' → ')}`).toBe(states.length - 1);
});

test('the simulator restarts mid-job and loses its queue: the running and the pending job end as lost', async ({
  sim,
  comfy,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  const running = await comfy.post('slow', MID);
  const pending = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await panel.waitUntilMidJob(running);
  await panel.expectStatus(pending, 'pending');

  await sim.restart({ downMs: 2_000 });

  await panel.expectStatus(running, 'lost', 40_000);
  await panel.expectStatus(pending, 'lost', 10_000);
  await panel.expectConnection('connected');
  // The restarted server works: a new job runs normally.
  const after = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await panel.expectStatus(after, 'success', 30_000);
});
