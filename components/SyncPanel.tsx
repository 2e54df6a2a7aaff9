/**
 * The optional sync target (off by default): URL, API key and the enabled switch, stored in settings; the
 * uploader's status (last sync, pending records, what went wrong, in plain words); and the dead letters,
 * the records the server rejected, which the user can count, export as JSON and send again. The API key
 * is never shown back: an empty field keeps the stored key.
 * A plain-http address of another machine gets a warning, and sending the key there needs a tick of its own
 * before anything is saved (`PlainHttpKeyWarning`).
 */

import { useState } from 'react';
import { i18n } from '#i18n';
import { errorText } from '@/lib/ext/error-text';
import { useServices } from '@/lib/ext/ui/services';
import { useSettings } from '@/lib/ext/ui/settings-hooks';
import { type SyncStatusView, useSyncStatus } from '@/lib/ext/ui/sync-status';
import type { DeadLetter, SyncProblem } from '@/lib/sync';
import { Check, Field, FormStatus } from './form';
import { PlainHttpKeyWarning, usePlainHttpConsent } from './PlainHttpKeyWarning';
import { useSaveSettings } from './PreferencesForm';
import { Section } from './Section';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The host permission the uploader needs to POST to the sync server (none for loopback). */
export function syncOriginsFor(url: string): string[] {
  try {
    const u = new URL(url);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || LOOPBACK.has(u.hostname)) return [];
    return [`${u.protocol}//${u.hostname}/*`];
  } catch {
    return [];
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The uploader's problem in plain words. Remote parts (messages, header values) are inserted as text. */
export function syncProblemText(p: SyncProblem): string {
  switch (p.kind) {
    case 'unreachable':
      return i18n.t('ui_sync_problem_unreachable', [p.origin]);
    case 'timeout':
      return i18n.t('ui_sync_problem_timeout', [p.origin, String(Math.round(p.afterMs / 1000))]);
    case 'not_comfypulse': {
      const type = p.contentType || i18n.t('ui_sync_problem_no_type');
      if (p.redirectedTo !== undefined)
        return i18n.t('ui_sync_problem_redirected', [p.redirectedTo, String(p.status), type]);
      return p.software !== undefined
        ? i18n.t('ui_sync_problem_foreign_from', [String(p.status), type, p.software])
        : i18n.t('ui_sync_problem_foreign', [String(p.status), type]);
    }
    case 'key_refused':
      return i18n.t('ui_sync_problem_key', [String(p.status), p.message]);
    case 'server_error':
      return i18n.t('ui_sync_problem_server', [String(p.status), p.code, p.message]);
    case 'incompatible':
      return i18n.t('ui_sync_problem_incompatible', [String(p.status), p.detail]);
    case 'rejected':
      return i18n.t('ui_sync_problem_rejected', [String(p.count), p.promptId, p.code, p.message]);
    case 'not_queued':
      return i18n.t('ui_sync_problem_not_queued', [p.promptId, p.message]);
    case 'internal':
      return i18n.t('ui_sync_problem_internal', [p.message]);
  }
}

export function SyncStatus({
  status,
  error,
}: {
  status: SyncStatusView | undefined;
  error?: string | undefined;
}) {
  return (
    <dl className="stats" data-testid="sync-status" data-enabled={status ? String(status.enabled) : ''}>
      <dt>{i18n.t('ui_sync_last')}</dt>
      <dd data-testid="sync-last">
        {status?.lastSyncAt != null ? dateTime.format(status.lastSyncAt) : i18n.t('ui_sync_never')}
      </dd>
      <dt>{i18n.t('ui_sync_pending')}</dt>
      <dd data-testid="sync-pending">{status ? String(status.pending) : i18n.t('ui_unknown')}</dd>
      <dt>{i18n.t('ui_sync_error')}</dt>
      <dd data-testid="sync-error" data-kind={status?.problem?.kind ?? ''}>
        {status?.problem ? syncProblemText(status.problem) : (error ?? i18n.t('ui_sync_no_error'))}
      </dd>
      {status?.nextAttemptAt != null && status.pending > 0 && (
        <>
          <dt>{i18n.t('ui_sync_next')}</dt>
          <dd data-testid="sync-next">{dateTime.format(status.nextAttemptAt)}</dd>
        </>
      )}
    </dl>
  );
}

/** The export file: every dead letter as stored (the record as sent, the server's code and message). */
export function deadLettersFile(deadLetters: DeadLetter[], exportedAt: number): Blob {
  const body = { kind: 'comfypulse-sync-dead-letters', version: 1, exportedAt, deadLetters };
  return new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' });
}

function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  // The click has handed the blob to the download; the URL is not needed afterwards.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Rejected records: how many, export, send again. Shown only when there are some. */
export function DeadLetters({ count }: { count: number }) {
  const { send } = useServices();
  const [note, setNote] = useState<{ kind: 'info' | 'err'; text: string }>();
  if (count === 0 && note === undefined) return null;
  const run = async (action: () => Promise<string>) => {
    setNote(undefined);
    try {
      setNote({ kind: 'info', text: await action() });
    } catch (e) {
      setNote({ kind: 'err', text: errorText(e) });
    }
  };
  const exportAll = async () => {
    const { deadLetters } = await send('bg:syncDeadLetters', {});
    const now = Date.now();
    saveFile(
      deadLettersFile(deadLetters, now),
      `comfypulse-rejected-${new Date(now).toISOString().slice(0, 10)}.json`,
    );
    return '';
  };
  const retryAll = async () => {
    const { requeued } = await send('bg:syncRetryDeadLetters', {});
    return i18n.t('ui_sync_dead_retried', [String(requeued)]);
  };
  return (
    <div className="dead-letters" data-testid="sync-dead-letters">
      <dl className="stats">
        <dt>{i18n.t('ui_sync_dead')}</dt>
        <dd data-testid="sync-dead-count">{String(count)}</dd>
      </dl>
      <p className="muted">{i18n.t('ui_sync_dead_help')}</p>
      <div className="form-row">
        <button
          type="button"
          className="btn"
          data-testid="sync-dead-export"
          disabled={count === 0}
          onClick={() => void run(exportAll)}
        >
          {i18n.t('ui_sync_dead_export')}
        </button>
        <button
          type="button"
          className="btn"
          data-testid="sync-dead-retry"
          disabled={count === 0}
          onClick={() => void run(retryAll)}
        >
          {i18n.t('ui_sync_dead_retry')}
        </button>
        {note !== undefined && note.text !== '' && (
          <FormStatus kind={note.kind} testid="sync-dead-note">
            {note.text}
          </FormStatus>
        )}
      </div>
    </div>
  );
}

export function SyncPanel() {
  const settings = useSettings();
  if (!settings) return <p className="muted">{i18n.t('ui_loading')}</p>;
  return <SyncForm initial={settings.sync} />;
}

function SyncForm({ initial }: { initial: { enabled: boolean; url: string; apiKey: string } }) {
  const services = useServices();
  const sync = useSyncStatus();
  const { save, error } = useSaveSettings();
  const [url, setUrl] = useState(initial.url);
  const [key, setKey] = useState('');
  const [enabled, setEnabled] = useState(initial.enabled);
  const [note, setNote] = useState<string>();
  const plainHttp = usePlainHttpConsent({ url, enabled, keyTyped: key !== '', initial });
  const submit = async () => {
    if (!plainHttp.consented) {
      setNote(i18n.t('ui_sync_plain_http_unconfirmed'));
      return;
    }
    // Ask for the host permission inside the click, before any await.
    const granted = enabled && url ? services.requestOrigins(syncOriginsFor(url)) : Promise.resolve(true);
    setNote(undefined);
    if (!(await granted)) {
      setNote(i18n.t('ui_permission_denied'));
      return;
    }
    const ok = await save({ sync: { enabled, url: url.trim(), ...(key !== '' && { apiKey: key }) } });
    if (ok) {
      setKey('');
      setNote(i18n.t('ui_saved'));
    }
  };
  return (
    <Section id="sync" title={i18n.t('ui_sync')} className="section panel">
      <p className="muted">{i18n.t('ui_sync_help')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="form-grid">
          <Field
            id="sync-url"
            label={i18n.t('ui_sync_url')}
            testid="sync-url"
            type="url"
            value={url}
            placeholder="https://pulse.example.com"
            onChange={setUrl}
          />
          <Field
            id="sync-key"
            label={i18n.t('ui_sync_key')}
            testid="sync-key"
            type="password"
            value={key}
            placeholder={initial.apiKey ? i18n.t('ui_token_kept') : i18n.t('ui_token_none')}
            onChange={setKey}
          />
        </div>
        <PlainHttpKeyWarning consent={plainHttp} />
        <div className="form-row">
          <Check testid="sync-enabled" checked={enabled} onChange={setEnabled}>
            {i18n.t('ui_sync_enabled')}
          </Check>
          <button type="submit" className="btn btn-primary" data-testid="sync-save">
            {i18n.t('ui_save')}
          </button>
          {error !== undefined && (
            <FormStatus kind="err" testid="sync-save-error">
              {error}
            </FormStatus>
          )}
          {note !== undefined && error === undefined && (
            <FormStatus kind="info" testid="sync-section-note">
              {note}
            </FormStatus>
          )}
        </div>
      </form>
      <SyncStatus status={sync.status} error={sync.error} />
      <DeadLetters count={sync.status?.deadLetters ?? 0} />
    </Section>
  );
}
