/**
 * Notification preferences, previews and retention, stored through lib/ext/settings (zod-validated; an
 * invalid value is refused with zod's message and nothing is written). Toggles save at once; the two
 * retention numbers save together with their button.
 */

import { useEffect, useState } from 'react';
import { i18n } from '#i18n';
import { type Settings, type SettingsPatch, saveSettings } from '@/lib/ext/settings';
import { useServices } from '@/lib/ext/ui/services';
import { useSettings } from '@/lib/ext/ui/settings-hooks';
import { Check, FormStatus } from './form';

type NotifyKey = keyof Settings['notifications'];

function zodMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'issues' in e && Array.isArray((e as { issues: unknown[] }).issues)) {
    const issues = (e as { issues: { message: string }[] }).issues;
    return issues.map((i) => i.message).join('; ');
  }
  return e instanceof Error ? e.message : String(e);
}

export function useSaveSettings(): {
  save(patch: SettingsPatch): Promise<boolean>;
  error: string | undefined;
} {
  const { db, send } = useServices();
  const [error, setError] = useState<string>();
  return {
    error,
    async save(patch) {
      try {
        await saveSettings(db, patch);
        setError(undefined);
        // The service worker rebuilds its rules and the engine re-reads; a failure there is not a failed save.
        void send('bg:reloadEngine', {}).catch(() => undefined);
        return true;
      } catch (e) {
        setError(zodMessage(e));
        return false;
      }
    },
  };
}

function RetentionForm({ settings }: { settings: Settings }) {
  const [jobs, setJobs] = useState(String(settings.retention.maxJobs));
  const [days, setDays] = useState(String(settings.retention.maxDays));
  const [saved, setSaved] = useState(false);
  const { save, error } = useSaveSettings();
  useEffect(() => {
    setJobs(String(settings.retention.maxJobs));
    setDays(String(settings.retention.maxDays));
  }, [settings.retention.maxJobs, settings.retention.maxDays]);
  return (
    <form
      className="form-row"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(await save({ retention: { maxJobs: Number(jobs), maxDays: Number(days) } }));
      }}
    >
      <label className="check">
        {i18n.t('ui_retention_jobs')}
        <input
          type="number"
          min={10}
          data-testid="setting-retention-jobs"
          value={jobs}
          onChange={(e) => setJobs(e.target.value)}
        />
      </label>
      <label className="check">
        {i18n.t('ui_retention_days')}
        <input
          type="number"
          min={1}
          data-testid="setting-retention-days"
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
      </label>
      <button type="submit" className="btn" data-testid="setting-retention-save">
        {i18n.t('ui_save')}
      </button>
      {error !== undefined && (
        <FormStatus kind="err" testid="settings-error">
          {error}
        </FormStatus>
      )}
      {saved && error === undefined && <FormStatus kind="ok">{i18n.t('ui_saved')}</FormStatus>}
    </form>
  );
}

export function PreferencesForm() {
  const settings = useSettings();
  const { save, error } = useSaveSettings();
  if (!settings) return <p className="muted">{i18n.t('ui_loading')}</p>;
  const toggles: { key: NotifyKey; testid: string; label: string }[] = [
    { key: 'onSuccess', testid: 'setting-notify-success', label: i18n.t('ui_notify_success') },
    { key: 'onFailure', testid: 'setting-notify-failure', label: i18n.t('ui_notify_failure') },
    { key: 'onInterrupted', testid: 'setting-notify-interrupted', label: i18n.t('ui_notify_interrupted') },
    { key: 'onQueueEmpty', testid: 'setting-notify-queue-empty', label: i18n.t('ui_notify_queue_empty') },
  ];
  return (
    <>
      <section className="section panel" aria-labelledby="notify-heading">
        <h2 id="notify-heading" className="section-title">
          {i18n.t('ui_notifications')}
        </h2>
        {toggles.map((t) => (
          <Check
            key={t.key}
            testid={t.testid}
            checked={settings.notifications[t.key]}
            onChange={(on) => void save({ notifications: { [t.key]: on } })}
          >
            {t.label}
          </Check>
        ))}
        {error !== undefined && <FormStatus kind="err">{error}</FormStatus>}
      </section>
      <section className="section panel" aria-labelledby="previews-heading">
        <h2 id="previews-heading" className="section-title">
          {i18n.t('ui_previews')}
        </h2>
        <Check
          testid="setting-previews"
          checked={settings.previews.enabled}
          onChange={(on) => void save({ previews: { enabled: on } })}
        >
          {i18n.t('ui_previews_enabled')}
        </Check>
      </section>
      <section className="section panel" aria-labelledby="retention-heading">
        <h2 id="retention-heading" className="section-title">
          {i18n.t('ui_retention')}
        </h2>
        <p className="muted">{i18n.t('ui_retention_help')}</p>
        <RetentionForm settings={settings} />
      </section>
    </>
  );
}
