/**
 * Cancel in Firefox is the same two operations as in Chromium (design.md §1.5): delete for a pending job,
 * interrupt for the running one, and neither touches a job the user did not pick. Both are POSTs, so they
 * pass ComfyUI's origin check only through the Origin rule.
 */
import { cancelPendingThenRunning } from '../e2e/support/scenarios';
import { test } from './fixtures';

test('deleting a pending job and interrupting the running one leave the other queued job untouched', async ({
  comfy,
  openView,
}) => {
  const panel = await openView('sidepanel.html');
  await panel.expectConnection('connected');

  await cancelPendingThenRunning(panel, comfy);
});
