/**
 * The optional sync target (off by default): URL, API key and the enabled switch, stored in settings; and
 * the uploader's status (last sync, pending records, last error). The API key is never shown back: an
 * empty field keeps the stored key. A plain-http address of another machine gets a warning, and sending
 * the key there needs a tick of its own before anything is saved (`PlainHttpKeyWarning`).
 */

import { useState } from 'react';
import { i18n } from '#i18n';
import { useServices } from '@/lib/ext/ui/services';
import { useSettings } from '@/lib/ext/ui/settings-hooks';
import { type SyncStatusView, useSyncStatus } from '@/lib/ext/ui/sync-status';
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
      <dd data-testid="sync-error">{status?.lastError ?? error ?? i18n.t('ui_sync_no_error')}</dd>
      {status?.nextAttemptAt != null && status.pending > 0 && (
        <>
          <dt>{i18n.t('ui_sync_next')}</dt>
          <dd data-testid="sync-next">{dateTime.format(status.nextAttemptAt)}</dd>
        </>
      )}
      {status !== undefined && status.dropped > 0 && (
        <>
          <dt>{i18n.t('ui_sync_dropped')}</dt>
          <dd data-testid="sync-dropped">{String(status.dropped)}</dd>
        </>
      )}
    </dl>
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
    </Section>
  );
}
