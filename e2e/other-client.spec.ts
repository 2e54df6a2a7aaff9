/**
 * Jobs queued by another client (the ComfyUI tab, a script with its own clientId) reach the extension only
 * as `status` broadcasts; it must find and follow them over HTTP, and must never take over that client's
 * socket by reusing its clientId (comfyui-protocol.md §3).
 */
import { expect, test } from './fixtures';

test('a job queued by another client is shown and ends in the right state', async ({
  comfy,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  const other = await comfy.connectClient();
  try {
    const ok = await other.post('ok', { steps: 8, delayMs: 250 });
    const failed = await other.post('fail', {});

    await expect(panel.card(ok)).toBeVisible({ timeout: 15_000 });
    await panel.expectStatus(ok, 'success', 30_000);
    await panel.expectStatus(failed, 'error', 30_000);

    // The other client kept its socket and got its own full stream: the extension never used its clientId.
    const mine = (type: string, id: string) =>
      other.frames.some((f) => f.type === type && f.data.prompt_id === id);
    expect(mine('execution_success', ok)).toBe(true);
    expect(mine('execution_error', failed)).toBe(true);
  } finally {
    other.close();
  }
});

test('a running job from another client is seen as running before it ends', async ({ comfy, openPopup }) => {
  const popup = await openPopup();
  await popup.expectConnection('connected');
  const other = await comfy.connectClient();
  try {
    const id = await other.post('slow', { steps: 40, delayMs: 250 });
    await popup.expectStatus(id, 'running', 15_000);
    await popup.expectStatus(id, 'success', 40_000);
  } finally {
    other.close();
  }
});
