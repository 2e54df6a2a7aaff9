// @vitest-environment happy-dom
// The sync section of the options page: each uploader problem in plain words (remote parts as text), and the
// dead letters: counted, exported as JSON, sent again.
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SyncStatusReport } from '@/lib/ext/protocol';
import { installI18n, makeServices, type Responder, renderWith } from '@/lib/ext/ui/testing';
import type { DeadLetter, SyncProblem } from '@/lib/sync';
import { record } from '@/lib/sync/testing';
import { SyncPanel, syncProblemText } from './SyncPanel';

beforeAll(() => installI18n());
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const status = (over: Partial<SyncStatusReport> = {}): SyncStatusReport => ({
  enabled: true,
  pending: 0,
  lastSyncAt: null,
  problem: null,
  deadLetters: 0,
  nextAttemptAt: null,
  ...over,
});

const PROBLEMS: [SyncProblem, string][] = [
  [
    { kind: 'not_comfypulse', status: 400, contentType: 'text/html', software: 'nginx' },
    'The sync URL does not answer like a ComfyPulse server: 400 text/html from nginx. Check the address; records stay queued.',
  ],
  [
    { kind: 'not_comfypulse', status: 404, contentType: '' },
    'The sync URL does not answer like a ComfyPulse server: 404 no content type. Check the address; records stay queued.',
  ],
  [
    {
      kind: 'not_comfypulse',
      status: 200,
      contentType: 'text/html',
      redirectedTo: 'https://sso.example.com/login',
    },
    'The sync URL redirects to https://sso.example.com/login, which does not answer like a ComfyPulse server (200 text/html). Check the address; records stay queued.',
  ],
  [
    { kind: 'unreachable', origin: 'https://pulse.example.com' },
    'The sync server at https://pulse.example.com cannot be reached (no connection, or a DNS or TLS error). Records stay queued.',
  ],
  [
    { kind: 'timeout', origin: 'https://pulse.example.com', afterMs: 30_000 },
    'The sync server at https://pulse.example.com did not answer within 30 seconds. Records stay queued.',
  ],
  [
    { kind: 'key_refused', status: 401, message: 'Unknown or revoked API key' },
    'The sync server refused the API key (401): Unknown or revoked API key',
  ],
  [
    { kind: 'rejected', count: 2, promptId: 'p-1', code: 'not_owner', message: 'another key owns this job' },
    'The sync server rejected 2 record(s), for example job p-1 (not_owner: another key owns this job). They are kept under Rejected records.',
  ],
  [
    { kind: 'incompatible', status: 200, detail: '1 results for 2 records' },
    'The sync server answers in a format this extension does not understand (200: 1 results for 2 records). Update the server or the extension; records stay queued.',
  ],
  [
    { kind: 'not_queued', promptId: 'p-2', message: 'promptId: too short' },
    'Job p-2 could not be queued for sync: promptId: too short. It is kept under Rejected records.',
  ],
  [
    { kind: 'internal', message: 'QuotaExceededError' },
    'Sync failed inside the extension: QuotaExceededError',
  ],
];

function setup(report: SyncStatusReport, respond: Responder = {}) {
  const services = makeServices({ respond: { 'bg:syncStatus': () => report, ...respond } });
  renderWith(services, <SyncPanel />);
  return services;
}

describe('sync panel: problems', () => {
  it.each(PROBLEMS)('says %j in plain words', (problem, text) => {
    expect(syncProblemText(problem)).toBe(text);
  });

  it('shows the problem as text, however the remote part is made', async () => {
    const message = '<img src=x onerror="alert(1)">';
    setup(status({ problem: { kind: 'server_error', status: 500, code: 'internal', message } }));
    const shown = await screen.findByText((t) => t.includes('could not take the records'));
    expect(shown.textContent).toContain(message);
    expect(shown.querySelector('img')).toBeNull();
    expect(shown.getAttribute('data-kind')).toBe('server_error');
  });

  it('says every problem in pt-BR too, without English leftovers', async () => {
    await installI18n('pt-BR');
    try {
      for (const [problem, en] of PROBLEMS) {
        const pt = syncProblemText(problem);
        expect(pt).not.toBe(en);
        expect(pt).not.toMatch(/ComfyPulse server|records stay queued|\$\d/);
      }
    } finally {
      await installI18n('en');
    }
  });
});

describe('sync panel: rejected records (dead letters)', () => {
  const letters: DeadLetter[] = [
    {
      key: 'k1',
      record: record('p-1', 5),
      code: 'not_owner',
      message: 'another key owns this job',
      by: 'server',
      at: 10,
    },
    { key: 'k2', record: record('p-2', 6), code: 'invalid', message: 'records[0].x', by: 'server', at: 11 },
  ];

  it('shows nothing when there are none', async () => {
    setup(status());
    await waitFor(() => expect(screen.getByTestId('sync-pending').textContent).toBe('0'));
    expect(screen.queryByTestId('sync-dead-letters')).toBeNull();
  });

  it('counts them and exports every one as JSON', async () => {
    const services = setup(status({ deadLetters: 2 }), {
      'bg:syncDeadLetters': () => ({ deadLetters: letters }),
    });
    expect((await screen.findByTestId('sync-dead-count')).textContent).toBe('2');
    let saved: Blob | undefined;
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      saved = b as Blob;
      return 'blob:dead-letters';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    await act(async () => fireEvent.click(screen.getByTestId('sync-dead-export')));
    await waitFor(() => expect(saved).toBeDefined());
    expect(services.sent.map((m) => m.type)).toContain('bg:syncDeadLetters');
    expect(clicked).toEqual([expect.stringMatching(/^comfypulse-rejected-\d{4}-\d\d-\d\d\.json$/)]);
    const file = JSON.parse(await saved!.text()) as { kind: string; deadLetters: DeadLetter[] };
    expect(file.kind).toBe('comfypulse-sync-dead-letters');
    expect(file.deadLetters).toEqual(letters);
  });

  it('sends them again and says how many went back to the queue', async () => {
    const services = setup(status({ deadLetters: 2 }), {
      'bg:syncRetryDeadLetters': () => ({ requeued: 2 }),
    });
    const retry = await screen.findByTestId('sync-dead-retry');
    await act(async () => fireEvent.click(retry));
    expect((await screen.findByTestId('sync-dead-note')).textContent).toBe('2 record(s) queued again.');
    expect(services.sent.filter((m) => m.type === 'bg:syncRetryDeadLetters')).toHaveLength(1);
  });

  it('says so when the export fails, and keeps the buttons', async () => {
    setup(status({ deadLetters: 1 }), {
      'bg:syncDeadLetters': () => {
        throw new Error('engine not running');
      },
    });
    const exportButton = await screen.findByTestId('sync-dead-export');
    await act(async () => fireEvent.click(exportButton));
    expect((await screen.findByTestId('sync-dead-note')).textContent).toContain('engine not running');
    expect(screen.getByTestId('sync-dead-retry')).toBeTruthy();
  });
});
