/**
 * Faults mid-job (issue 3, "Faults"): in each case the UI must end in the true state with no user action.
 * The server never replays what a disconnected client missed (design §1.3), so the end state has to come
 * from reconnecting and reconciling over HTTP.
 */
import { expect, test } from './fixtures';
import { notificationIds, recordNotifications } from './support/sw';

// About 6 s of work: long enough for a fault to land mid-job, short enough to keep the suite quick.
const MID = { steps: 24, delayMs: 250 } as const;

test('the simulator drops every socket mid-job: reconnects and ends in success', async ({
  sim,
  comfy,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  const id = await comfy.post('slow', MID);
  await panel.waitUntilMidJob(id);

  sim.dropAllSockets();

  await panel.expectStatus(id, 'success', 40_000);
  await panel.expectConnection('connected');
  expect((await comfy.waitForHistory(id)).status?.status_str).toBe('success');
});

test('a zombie socket (open but silent) mid-job is detected and the job ends in success', async ({
  sim,
  comfy,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  const id = await comfy.post('slow', MID);
  await panel.waitUntilMidJob(id);

  sim.stallSockets();

  await panel.expectStatus(id, 'success', 60_000);
  await panel.expectConnection('connected');
});

test('the service worker is stopped mid-job: the job still ends in success with its notification', async ({
  extension,
  comfy,
  openSidePanel,
  serviceWorker,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  await recordNotifications(serviceWorker);
  const id = await comfy.post('slow', MID);
  await panel.waitUntilMidJob(id);

  await extension.stopServiceWorker();

  await panel.expectStatus(id, 'success', 40_000);
  await panel.expectConnection('connected');
  await expect.poll(() => notificationIds(serviceWorker), { timeout: 20_000 }).not.toHaveLength(0);
});

test('the service worker is stopped while no page is open: a job that ran meanwhile is there when one opens', async ({
  extension,
  comfy,
}) => {
  // Connected first, then every page closed, so nothing but the extension itself keeps it going.
  const first = await extension.openPage('sidepanel.html');
  await expect(first.locator('[data-testid="connection-status"]').first()).toHaveAttribute(
    'data-state',
    'connected',
  );
  await first.close();
  await extension.stopServiceWorker();

  const id = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await comfy.waitForHistory(id);
  const page = await extension.openPage('sidepanel.html');
  await expect(page.locator(`[data-testid="job-card"][data-prompt-id="${id}"]`).first()).toHaveAttribute(
    'data-status',
    'success',
    { timeout: 10_000 },
  );
});

test('the offscreen engine is closed and the service worker stopped: the watchdog alarm restores both', async ({
  extension,
  comfy,
}) => {
  const first = await extension.openPage('sidepanel.html');
  await expect(first.locator('[data-testid="connection-status"]').first()).toHaveAttribute(
    'data-state',
    'connected',
  );
  await first.close();
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
  const page = await extension.openPage('sidepanel.html');
  await expect(page.locator(`[data-testid="job-card"][data-prompt-id="${id}"]`).first()).toHaveAttribute(
    'data-status',
    'success',
    { timeout: 10_000 },
  );
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
