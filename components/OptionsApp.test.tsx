// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, ServerInput } from '@/lib/ext/protocol';
import { getSettings } from '@/lib/ext/settings';
import { makeServer } from '@/lib/ext/testing/records';
import { installI18n, makeServices, type Responder, renderWith } from '@/lib/ext/ui/testing';
import { OptionsApp } from './OptionsApp';
import { syncOriginsFor } from './SyncPanel';

beforeAll(() => installI18n());
afterEach(cleanup);

const saved = (s: ServerInput) => ({
  ok: true as const,
  server: {
    id: s.id ?? 'new',
    name: s.name,
    url: s.url,
    tokenMode: s.tokenMode ?? 'query',
    enabled: true,
    clientId: 'c',
    createdAt: 0,
  },
});

const idleSync = {
  enabled: false,
  pending: 0,
  lastSyncAt: null,
  problem: null,
  deadLetters: 0,
  nextAttemptAt: null,
};

function setup(opts: { grant?: boolean; respond?: Responder } = {}) {
  const services = makeServices({
    grant: opts.grant ?? true,
    respond: {
      'bg:saveServer': saved,
      'bg:removeServer': () => ({ ok: true }),
      'bg:syncStatus': () => idleSync,
      'bg:reloadEngine': () => ({ ok: true }),
      ...opts.respond,
    },
  });
  // The options page polls the sync status; the assertions are about what the user's actions sent.
  const actions = () => services.sent.filter((m) => m.type !== 'bg:syncStatus');
  return Object.assign(services, { actions });
}

async function fill(form: HTMLElement, url: string, token?: string) {
  fireEvent.change(within(form).getByTestId('server-url'), { target: { value: url } });
  if (token !== undefined)
    fireEvent.change(within(form).getByTestId('server-token'), { target: { value: token } });
  await act(async () => fireEvent.click(within(form).getByTestId('server-save')));
}

describe('options: servers', () => {
  it('offers a new-server form at once when none is configured, and saves a loopback server without a prompt', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    const form = await screen.findByTestId('server-form');
    expect((within(form).getByTestId('server-url') as HTMLInputElement).value).toBe('http://127.0.0.1:8188');
    expect((within(form).getByTestId('server-token') as HTMLInputElement).type).toBe('password');
    await fill(form, 'http://localhost:8000/', 'tok');
    expect(services.requestedOrigins).toEqual([[]]);
    expect(services.actions()).toEqual([
      {
        type: 'bg:saveServer',
        payload: {
          name: 'Local ComfyUI',
          url: 'http://localhost:8000',
          tokenMode: 'header',
          enabled: true,
          token: 'tok',
        },
      },
    ]);
    expect(within(form).getByTestId('server-save-status').textContent).toBe('Saved.');
    expect(within(form).queryByTestId('server-token-mode-hint')).toBeNull();
  });

  it('sends the token as a header by default, and says what the address mode costs when chosen', async () => {
    const services = setup();
    await services.db.servers.put(
      makeServer('q', 'http://127.0.0.1:8188', { token: 'secret', tokenMode: 'query' }),
    );
    renderWith(services, <OptionsApp />);
    await waitFor(() =>
      expect(screen.getAllByTestId('server-form')[0]!.getAttribute('data-server-id')).toBe('q'),
    );
    const [saved] = screen.getAllByTestId('server-form');
    // a server saved in query mode with a token keeps it, and is told what it costs
    expect((within(saved!).getByTestId('server-token-mode') as HTMLSelectElement).value).toBe('query');
    expect(within(saved!).getByTestId('server-token-mode-hint').textContent).toContain('access logs');
    fireEvent.change(within(saved!).getByTestId('server-token-mode'), { target: { value: 'header' } });
    expect(within(saved!).queryByTestId('server-token-mode-hint')).toBeNull();
    fireEvent.click(screen.getByTestId('server-add'));
    const added = screen.getAllByTestId('server-form')[1]!;
    expect((within(added).getByTestId('server-token-mode') as HTMLSelectElement).value).toBe('header');
    expect(within(added).getAllByRole('option')[0]!.textContent).toContain('recommended');
  });

  it('requests the http and ws host permission of a remote server before saving it', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    await fill(await screen.findByTestId('server-form'), 'http://192.168.1.20:8188');
    expect(services.requestedOrigins).toEqual([['http://192.168.1.20/*', 'ws://192.168.1.20/*']]);
    expect(services.actions().map((m) => m.type)).toEqual(['bg:saveServer']);
  });

  it('saves nothing when the permission is refused, and says why', async () => {
    const services = setup({ grant: false });
    renderWith(services, <OptionsApp />);
    const form = await screen.findByTestId('server-form');
    await fill(form, 'https://comfy.example.com');
    expect(services.requestedOrigins).toEqual([['https://comfy.example.com/*', 'wss://comfy.example.com/*']]);
    expect(services.actions()).toEqual([]);
    expect(within(form).getByTestId('server-save-status').textContent).toMatch(/did not grant/);
  });

  it('rejects an invalid address without asking anything', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    const form = await screen.findByTestId('server-form');
    await fill(form, 'ftp://nope');
    expect(services.requestedOrigins).toEqual([]);
    expect(services.actions()).toEqual([]);
    expect(within(form).getByTestId('server-save-status').textContent).toContain('ftp://nope');
  });

  it('edits an existing server by id, keeps its token unless one is typed, and shows a refusal', async () => {
    const services = setup({
      respond: { 'bg:saveServer': () => ({ ok: false, error: 'duplicate server' }) },
    });
    await services.db.servers.put(
      makeServer('s1', 'http://127.0.0.1:8188', { name: 'Mine', token: 'secret' }),
    );
    renderWith(services, <OptionsApp />);
    await waitFor(() =>
      expect(screen.getAllByTestId('server-form')[0]!.getAttribute('data-server-id')).toBe('s1'),
    );
    const form = screen.getAllByTestId('server-form')[0]!;
    expect((within(form).getByTestId('server-token') as HTMLInputElement).value).toBe('');
    expect(form.textContent).not.toContain('secret');
    await fill(form, 'http://127.0.0.1:8189');
    expect(services.actions()[0]!.payload).toEqual({
      id: 's1',
      name: 'Mine',
      url: 'http://127.0.0.1:8189',
      tokenMode: 'header',
      enabled: true,
    });
    expect(within(form).getByTestId('server-save-status').textContent).toBe('duplicate server');
    await act(async () => fireEvent.click(within(form).getByTestId('server-remove')));
    expect(services.actions()[1]).toEqual({ type: 'bg:removeServer', payload: { id: 's1' } });
  });

  it('runs the connection doctor, shows the finding and its fix as text, and offers to test again', async () => {
    const report: DoctorReport = {
      finding: 'origin-rejected',
      message: 'Start ComfyUI with --enable-cors-header <b>x</b>',
      checks: [
        { name: 'Server answers', ok: true, detail: 'OK' },
        { name: 'Origin', ok: false, detail: '403' },
      ],
    };
    const services = setup({ respond: { 'bg:runDoctor': () => report } });
    await services.db.servers.put(makeServer('s1', 'http://127.0.0.1:8188'));
    renderWith(services, <OptionsApp />);
    const run = await screen.findByTestId('doctor-run');
    expect(run.textContent).toBe('Check the connection');
    await act(async () => fireEvent.click(run));
    expect(services.actions().at(-1)).toEqual({ type: 'bg:runDoctor', payload: { serverId: 's1' } });
    const result = screen.getByTestId('doctor-result');
    expect(result.getAttribute('data-finding')).toBe('origin-rejected');
    expect(result.textContent).toContain('--enable-cors-header <b>x</b>');
    expect(result.querySelector('b')).toBeNull();
    expect(screen.getByTestId('doctor-run').textContent).toBe('Test again');
  });

  it('checks a server that is not saved yet with the values typed into the add form', async () => {
    const services = setup({
      respond: { 'bg:runDoctor': () => ({ finding: 'unreachable', message: 'down', checks: [] }) },
    });
    renderWith(services, <OptionsApp />);
    const form = await screen.findByTestId('server-form');
    fireEvent.change(within(form).getByTestId('server-url'), { target: { value: 'http://127.0.0.1:9999/' } });
    fireEvent.change(within(form).getByTestId('server-token'), { target: { value: 't0k' } });
    await act(async () => fireEvent.click(within(form).getByTestId('doctor-run')));
    expect(services.actions()).toEqual([
      { type: 'bg:runDoctor', payload: { url: 'http://127.0.0.1:9999', tokenMode: 'header', token: 't0k' } },
    ]);
    expect(screen.getByTestId('doctor-result').getAttribute('data-finding')).toBe('unreachable');
  });

  it("asks for an unsaved remote server's host permission in the doctor's click, before it probes", async () => {
    const services = setup({
      respond: { 'bg:runDoctor': () => ({ finding: 'ok', message: 'fine', checks: [] }) },
    });
    renderWith(services, <OptionsApp />);
    const form = await screen.findByTestId('server-form');
    fireEvent.change(within(form).getByTestId('server-url'), {
      target: { value: 'http://192.168.1.20:8188' },
    });
    await act(async () => fireEvent.click(within(form).getByTestId('doctor-run')));
    expect(services.requestedOrigins).toEqual([['http://192.168.1.20/*', 'ws://192.168.1.20/*']]);
    expect(services.actions().map((m) => m.type)).toEqual(['bg:runDoctor']);
  });
});

describe('options: preferences and sync', () => {
  it('stores notification, preview and retention settings, refusing invalid retention', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    const queueEmpty = (await screen.findByTestId('setting-notify-queue-empty')) as HTMLInputElement;
    expect(queueEmpty.checked).toBe(false);
    await act(async () => fireEvent.click(queueEmpty));
    await act(async () => fireEvent.click(screen.getByTestId('setting-previews')));
    await waitFor(async () => {
      const s = await getSettings(services.db);
      expect([s.notifications.onQueueEmpty, s.previews.enabled]).toEqual([true, false]);
    });
    expect(services.actions().filter((m) => m.type === 'bg:reloadEngine')).toHaveLength(2);
    // past the schema's limit (the input's own min/max are only a hint): refused, nothing written
    fireEvent.change(screen.getByTestId('setting-retention-days'), { target: { value: '99999' } });
    fireEvent.change(screen.getByTestId('setting-retention-jobs'), { target: { value: '250' } });
    await act(async () => fireEvent.click(screen.getByTestId('setting-retention-save')));
    expect(await screen.findByTestId('settings-error')).toBeTruthy();
    expect((await getSettings(services.db)).retention).toEqual({ maxJobs: 1000, maxDays: 30 });
    fireEvent.change(screen.getByTestId('setting-retention-days'), { target: { value: '14' } });
    await act(async () => fireEvent.click(screen.getByTestId('setting-retention-save')));
    await waitFor(async () =>
      expect((await getSettings(services.db)).retention).toEqual({ maxJobs: 250, maxDays: 14 }),
    );
  });

  it('turns timelapses off, and stores frame cap and size together, refusing values past the limits', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    const on = (await screen.findByTestId('setting-timelapse')) as HTMLInputElement;
    expect(on.checked).toBe(true);
    expect((screen.getByTestId('setting-timelapse-frames') as HTMLInputElement).value).toBe('64');
    expect((screen.getByTestId('setting-timelapse-side') as HTMLInputElement).value).toBe('256');
    await act(async () => fireEvent.click(on));
    await waitFor(async () => expect((await getSettings(services.db)).timelapse.enabled).toBe(false));
    fireEvent.change(screen.getByTestId('setting-timelapse-frames'), { target: { value: '500' } });
    fireEvent.change(screen.getByTestId('setting-timelapse-side'), { target: { value: '384' } });
    // the input's own range check stops the form before anything is sent or written
    expect((screen.getByTestId('setting-timelapse-frames') as HTMLInputElement).validity.rangeOverflow).toBe(
      true,
    );
    await act(async () => fireEvent.click(screen.getByTestId('setting-timelapse-save')));
    expect((await getSettings(services.db)).timelapse).toEqual({
      enabled: false,
      maxFrames: 64,
      maxSide: 256,
    });
    fireEvent.change(screen.getByTestId('setting-timelapse-frames'), { target: { value: '32' } });
    await act(async () => fireEvent.click(screen.getByTestId('setting-timelapse-save')));
    await waitFor(async () =>
      expect((await getSettings(services.db)).timelapse).toEqual({
        enabled: false,
        maxFrames: 32,
        maxSide: 384,
      }),
    );
  });

  it('keeps sync off by default and stores the target, asking host permission for a remote one', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    const enabled = (await screen.findByTestId('sync-enabled')) as HTMLInputElement;
    expect(enabled.checked).toBe(false);
    expect(screen.getByTestId('sync-status').textContent).toContain('Never');
    fireEvent.change(screen.getByTestId('sync-url'), { target: { value: 'https://pulse.example.com' } });
    fireEvent.change(screen.getByTestId('sync-key'), { target: { value: 'k-123' } });
    fireEvent.click(enabled);
    await act(async () => fireEvent.click(screen.getByTestId('sync-save')));
    expect(services.requestedOrigins).toEqual([['https://pulse.example.com/*']]);
    await waitFor(async () =>
      expect((await getSettings(services.db)).sync).toEqual({
        enabled: true,
        url: 'https://pulse.example.com',
        apiKey: 'k-123',
      }),
    );
    expect((screen.getByTestId('sync-key') as HTMLInputElement).value).toBe('');
  });

  it.each([
    ['https://pulse.example.com', false],
    ['http://127.0.0.1:8787', false],
    ['http://localhost:8787', false],
  ])('saves a key for %s without a plain-http warning', async (url) => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    fireEvent.change(await screen.findByTestId('sync-url'), { target: { value: url } });
    fireEvent.change(screen.getByTestId('sync-key'), { target: { value: 'k-1' } });
    fireEvent.click(screen.getByTestId('sync-enabled'));
    expect(screen.queryByTestId('sync-plain-http-warning')).toBeNull();
    await act(async () => fireEvent.click(screen.getByTestId('sync-save')));
    await waitFor(async () =>
      expect((await getSettings(services.db)).sync).toEqual({ enabled: true, url, apiKey: 'k-1' }),
    );
  });

  it('warns before a key goes over plain http to another machine, and saves only once the user ticks it', async () => {
    const services = setup();
    renderWith(services, <OptionsApp />);
    fireEvent.change(await screen.findByTestId('sync-url'), {
      target: { value: 'http://192.168.1.50:8787' },
    });
    // the warning shows as the address is typed, before anything is saved
    expect(screen.getByTestId('sync-plain-http-warning').textContent).toContain('unencrypted');
    fireEvent.change(screen.getByTestId('sync-key'), { target: { value: 'k-secret' } });
    fireEvent.click(screen.getByTestId('sync-enabled'));
    await act(async () => fireEvent.click(screen.getByTestId('sync-save')));
    expect((await getSettings(services.db)).sync).toEqual({ enabled: false, url: '', apiKey: '' });
    expect(services.requestedOrigins).toEqual([]);
    expect(screen.getByTestId('sync-section-note').textContent).toContain('Nothing was saved');
    fireEvent.click(screen.getByTestId('sync-plain-http-ack'));
    await act(async () => fireEvent.click(screen.getByTestId('sync-save')));
    await waitFor(async () =>
      expect((await getSettings(services.db)).sync).toEqual({
        enabled: true,
        url: 'http://192.168.1.50:8787',
        apiKey: 'k-secret',
      }),
    );
    expect(services.requestedOrigins).toEqual([['http://192.168.1.50/*']]);
  });

  it('shows the uploader status from bg:syncStatus: last sync, pending count, problem, rejected count', async () => {
    const services = setup({
      respond: {
        'bg:syncStatus': () => ({
          enabled: true,
          pending: 42,
          lastSyncAt: Date.UTC(2026, 0, 2, 3, 4, 5),
          problem: { kind: 'server_error', status: 503, code: 'internal', message: '<b>down</b>' },
          deadLetters: 1,
          nextAttemptAt: Date.UTC(2026, 0, 2, 3, 5, 0),
        }),
      },
    });
    renderWith(services, <OptionsApp />);
    await waitFor(() => expect(screen.getByTestId('sync-pending').textContent).toBe('42'));
    expect(screen.getByTestId('sync-status').getAttribute('data-enabled')).toBe('true');
    expect(screen.getByTestId('sync-last').textContent).toMatch(/2026|26/);
    expect(screen.getByTestId('sync-error').textContent).toBe(
      'The sync server could not take the records (503 internal): <b>down</b>. They stay queued.',
    );
    expect(screen.getByTestId('sync-next')).toBeTruthy();
    expect(screen.getByTestId('sync-dead-count').textContent).toBe('1');
  });

  it.each([
    ['http://127.0.0.1:8787', []],
    ['https://pulse.example.com/base', ['https://pulse.example.com/*']],
    ['not a url', []],
  ])('needs host permission %s -> %j for sync', (url, origins) => {
    expect(syncOriginsFor(url)).toEqual(origins);
  });
});
