/**
 * Cancel is two operations (design §1.5): interrupt for the running job, delete for a pending one. Neither
 * may touch a job the user did not pick. Run against servers with and without prompt-scoped interrupt.
 */
import { expect, type SimOptions, test } from './fixtures';

const modes: { name: string; simOptions: SimOptions }[] = [
  { name: 'prompt-scoped interrupt', simOptions: { originCheck: true, promptScopedInterrupt: true } },
  { name: 'old server: global interrupt', simOptions: { originCheck: true, promptScopedInterrupt: false } },
];

for (const mode of modes) {
  test.describe(mode.name, () => {
    test.use({ simOptions: mode.simOptions });

    test('deleting a pending job and interrupting the running one leave the other queued job untouched', async ({
      comfy,
      openSidePanel,
    }) => {
      const panel = await openSidePanel();
      await panel.expectConnection('connected');

      const running = await comfy.post('slow', { steps: 120, delayMs: 250 });
      const keep = await comfy.post('ok', { steps: 4, delayMs: 100 });
      const remove = await comfy.post('ok', { steps: 4, delayMs: 100 });
      await panel.waitUntilMidJob(running);
      await panel.expectStatus(keep, 'pending');
      await panel.expectStatus(remove, 'pending');

      await panel.cancel(remove);
      await panel.expectStatus(remove, 'cancelled');
      // The running job went on: still running, and its progress still moves.
      const before = await panel.progressNow(running);
      await expect.poll(() => panel.progressNow(running), { timeout: 10_000 }).toBeGreaterThan(before);
      await panel.expectStatus(running, 'running');
      await panel.expectStatus(keep, 'pending');

      await panel.cancel(running);
      await expect(panel.card(running)).toHaveAttribute('data-status', /^(interrupted|cancelled)$/);
      await panel.expectStatus(keep, 'success', 30_000);

      // The server agrees: the interrupted job ended early, the deleted one never ran, the other succeeded.
      expect((await comfy.waitForHistory(running)).status?.status_str).toBe('error');
      expect((await comfy.waitForHistory(keep)).status?.status_str).toBe('success');
      expect(await comfy.history(remove)).toBeUndefined();
    });
  });
}

test('cancel from the popup interrupts the running job', async ({ comfy, openPopup }) => {
  const popup = await openPopup();
  await popup.expectConnection('connected');
  const id = await comfy.post('slow', { steps: 120, delayMs: 250 });
  await popup.waitUntilMidJob(id);
  await popup.cancel(id);
  await expect(popup.card(id)).toHaveAttribute('data-status', /^(interrupted|cancelled)$/);
  expect((await comfy.waitForHistory(id)).status?.status_str).toBe('error');
});
