// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionStrip } from '../../../components/ConnectionStrip';
import { makeServer } from '../testing/records';
import { installI18n, makeServices, renderWith } from './testing';

beforeAll(() => installI18n());
afterEach(cleanup);

const badgeState = async () => (await screen.findByTestId('connection-status')).getAttribute('data-state');

describe('connection badge after the engine died', () => {
  it('reads connecting over a stored "connected" until a live engine vouches, then shows what it writes', async () => {
    const s = makeServices({ engineStartedAt: null });
    await s.db.servers.put(makeServer('local', 'http://127.0.0.1:8188'));
    // left behind by an engine that is gone
    await s.db.connections.put({ serverId: 'local', state: 'connected', since: 1_000 });
    renderWith(s, <ConnectionStrip />);
    await expect.poll(badgeState).toBe('connecting');

    // the restarted engine vouches; its own state is not written yet
    await s.setEngine(5_000);
    expect(await badgeState()).toBe('connecting');

    await s.post({ kind: 'connection', serverId: 'local', state: 'connected', since: 5_200 });
    await expect.poll(badgeState).toBe('connected');
  });

  it('trusts the stored state when the running engine wrote it', async () => {
    const s = makeServices({ engineStartedAt: 500 });
    await s.db.servers.put(makeServer('local', 'http://127.0.0.1:8188'));
    await s.db.connections.put({ serverId: 'local', state: 'connected', since: 1_000 });
    renderWith(s, <ConnectionStrip />);
    await expect.poll(badgeState).toBe('connected');
  });
});
