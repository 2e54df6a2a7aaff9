/**
 * Notification preferences, previews and retention, stored through lib/ext/settings (zod-validated; an
 * invalid value is refused with zod's message and nothing is written). Toggles save at once; the two
 * retention numbers save together with their button.
 */

import { useEffect, useState } from 'react';
import { i18n } from '#i18n';
import { errorText } from '@/lib/ext/error-text';
import { type Settings, type SettingsPatch, saveSettings } from '@/lib/ext/settings';
import { useServices } from '@/lib/ext/ui/services';
import { useSettings } from '@/lib/ext/ui/settings-hooks';
import { Check, FormStatus } from './form';
import { Section } from './Section';

type NotifyKey = keyof Settings['notifications'];

function zodMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'issues' in e && Array.isArray((e as { issues: unknown[] }).issues)) {
    const issues = (e as { issues: { message: string }[] }).issues;
    return issues.map((i) => i.message).join('; ');
  }
  return errorText(e);
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

function NumberSetting({
  label,
  testid,
  min,
  value,
  onChange,
}: {
  label: string;
  testid: string;
  min: number;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <label className="check">
      {label}
      <input
        type="number"
        min={min}
        data-testid={testid}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
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
      <NumberSetting
        label={i18n.t('ui_retention_jobs')}
        testid="setting-retention-jobs"
        min={10}
        value={jobs}
        onChange={setJobs}
      />
      <NumberSetting
        label={i18n.t('ui_retention_days')}
        testid="setting-retention-days"
        min={1}
        value={days}
        onChange={setDays}
      />
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
      <Section id="notify" title={i18n.t('ui_notifications')} className="section panel">
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
      </Section>
      <Section id="previews" title={i18n.t('ui_previews')} className="section panel">
        <Check
          testid="setting-previews"
          checked={settings.previews.enabled}
          onChange={(on) => void save({ previews: { enabled: on } })}
        >
          {i18n.t('ui_previews_enabled')}
        </Check>
      </Section>
      <Section id="retention" title={i18n.t('ui_retention')} className="section panel">
        <p className="muted">{i18n.t('ui_retention_help')}</p>
        <RetentionForm settings={settings} />
      </Section>
    </>
  );
}
