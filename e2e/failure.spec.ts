/** A failing workflow ends as `error`, naming the node and the message, and raises a notification. */
import { randomUUID } from 'node:crypto';
import { expect, test } from './fixtures';
import { notificationIds, recordedNotifications } from './support/sw';

test('a failing workflow ends as error with the node and the message shown, and a notification', async ({
  comfy,
  connectedViews: { panel, popup },
  serviceWorker,
}) => {
  // A message unique to this run proves that what the UI shows came from this server's answer.
  const message = `e2e failure ${randomUUID().slice(0, 8)}`;

  const id = await comfy.post('fail', { failMessage: message });

  await panel.expectStatus(id, 'error');
  await popup.expectStatus(id, 'error');
  expect((await comfy.waitForHistory(id)).status?.status_str).toBe('error');
  for (const view of [panel, popup]) {
    await expect(view.card(id)).toContainText(message);
    await expect(view.card(id)).toContainText('PeerFail');
  }

  await expect.poll(() => notificationIds(serviceWorker)).not.toHaveLength(0);
  const shown = await recordedNotifications(serviceWorker);
  const text = shown.map((n) => `${n.title ?? ''} ${n.message ?? ''}`).join('\n');
  expect(text).toContain(message);
  expect(text).toContain('PeerFail');
});

test('a workflow the server rejects (HTTP 400) never becomes a job', async ({ comfy, openSidePanel }) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  await expect(comfy.post('invalid')).rejects.toThrow(/400/);
  const ok = await comfy.post('ok', { steps: 2, delayMs: 50 });
  await panel.expectStatus(ok, 'success');
  await expect(panel.cards()).toHaveCount(1);
});
