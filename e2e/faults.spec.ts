/**
 * Faults mid-job (issue 3, "Faults"): in each case the UI must end in the true state with no user action.
 * The server never replays what a disconnected client missed (design §1.3), so the end state has to come
 * from reconnecting and reconciling over HTTP.
 */
import { expect, type Simulator, test } from './fixtures';
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

async function expectShownAs(extension: ExtensionBrowser, promptId: string, status: string): Promise<void> {
  const page = await extension.openPage('sidepanel.html');
  await expect(
    page.locator(`[data-testid="job-card"][data-prompt-id="${promptId}"]`).first(),
  ).toHaveAttribute('data-status', status, { timeout: 10_000 });
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
  await connectThenClosePages(extension);
  // With the socket's document gone and the worker stopped, nothing but the watchdog (chrome.alarms, at
  // least 30 s apart) can bring the engine back while no page of the extension is open.
  expect(await extension.closeOffscreen()).toBe(1);
  await extension.stopServiceWorker();
  expect(await extension.extensionTargets()).not.toContainEqual(expect.stringMatching(/offscreen/));

  const id = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await comfy.waitForHistory(id);
  await expect
    .poll(() => extension.extensionTargets(), { timeout: 45_000, message: 'the offscreen engine is back' })
    .toContainEqual(expect.stringMatching(/offscreen\.html/));
  await expectShownAs(extension, id, 'success');
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
