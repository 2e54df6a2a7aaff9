/**
 * Cancel is two operations (design.md §1.5): interrupt for the running job, delete for a pending one. Neither
 * may touch a job the user did not pick. Run against servers with and without prompt-scoped interrupt.
 */
import { expect, type SimOptions, test } from './fixtures';
import { cancelPendingThenRunning } from './support/scenarios';

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

      await cancelPendingThenRunning(panel, comfy);
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
