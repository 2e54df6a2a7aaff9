/** Servers other than the default, set through the options page, and the connection badge's states. */
import { startSimulator } from '../sim';
import { expect, test } from './fixtures';
import { ComfyDriver } from './support/comfy';

test('pointing the server at another address in options connects there and shows its jobs', async ({
  openOptions,
  openSidePanel,
}) => {
  const other = await startSimulator({ port: 0, host: '127.0.0.1', originCheck: true });
  try {
    const options = await openOptions();
    await options.setServer(other.url);
    const panel = await openSidePanel();
    await panel.expectConnection('connected');
    const id = await new ComfyDriver(other.url).post('ok', { steps: 4, delayMs: 100 });
    await panel.expectStatus(id, 'success');
  } finally {
    await other.close();
  }
});

test('the connection badge shows the server going away and coming back', async ({ sim, openSidePanel }) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  const restarted = sim.restart({ downMs: 6_000 });
  await expect(panel.connection()).toHaveAttribute('data-state', /^(reconnecting|offline|connecting)$/, {
    timeout: 5_000,
  });
  await restarted;
  await panel.expectConnection('connected', 30_000);
});
