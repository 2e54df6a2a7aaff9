/**
 * Notification preferences, previews, timelapses and retention, stored through lib/ext/settings (zod-validated; an
 * invalid value is refused with zod's message and nothing is written). Toggles save at once; the
 * retention numbers, and the timelapse numbers, save together with their button.
 */

import { useEffect, useState } from 'react';
import { i18n } from '#i18n';
import { errorText } from '@/lib/ext/error-text';
import {
  type Settings,
  type SettingsPatch,
  saveSettings,
  TIMELAPSE_MAX_FRAMES,
  TIMELAPSE_MAX_SIDE,
} from '@/lib/ext/settings';
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
  max,
  value,
  onChange,
}: {
  label: string;
  testid: string;
  min: number;
  max?: number | undefined;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <label className="check">
      {label}
      <input
        type="number"
        min={min}
        max={max}
        data-testid={testid}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

interface NumberField {
  label: string;
  testid: string;
  min: number;
  max?: number;
  value: number;
}

/** Numbers that are saved together by one button; zod refuses the whole patch or writes it all. */
function NumbersForm({
  fields,
  saveTestid,
  toPatch,
}: {
  fields: NumberField[];
  saveTestid: string;
  toPatch(values: number[]): SettingsPatch;
}) {
  const stored = fields.map((f) => String(f.value));
  const [values, setValues] = useState(stored);
  const [saved, setSaved] = useState(false);
  const { save, error } = useSaveSettings();
  const storedKey = stored.join(',');
  useEffect(() => setValues(storedKey.split(',')), [storedKey]);
  return (
    <form
      className="form-row"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(await save(toPatch(values.map(Number))));
      }}
    >
      {fields.map((f, i) => (
        <NumberSetting
          key={f.testid}
          label={f.label}
          testid={f.testid}
          min={f.min}
          max={f.max}
          value={values[i] ?? ''}
          onChange={(v) => setValues((cur) => cur.map((c, j) => (j === i ? v : c)))}
        />
      ))}
      <button type="submit" className="btn" data-testid={saveTestid}>
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

function RetentionForm({ settings }: { settings: Settings }) {
  return (
    <NumbersForm
      saveTestid="setting-retention-save"
      fields={[
        {
          label: i18n.t('ui_retention_jobs'),
          testid: 'setting-retention-jobs',
          min: 10,
          value: settings.retention.maxJobs,
        },
        {
          label: i18n.t('ui_retention_days'),
          testid: 'setting-retention-days',
          min: 1,
          value: settings.retention.maxDays,
        },
      ]}
      toPatch={([maxJobs, maxDays]) => ({ retention: { maxJobs, maxDays } })}
    />
  );
}

function TimelapseForm({ settings }: { settings: Settings }) {
  return (
    <NumbersForm
      saveTestid="setting-timelapse-save"
      fields={[
        {
          label: i18n.t('ui_timelapse_frames_max'),
          testid: 'setting-timelapse-frames',
          min: 2,
          max: TIMELAPSE_MAX_FRAMES,
          value: settings.timelapse.maxFrames,
        },
        {
          label: i18n.t('ui_timelapse_side_max'),
          testid: 'setting-timelapse-side',
          min: 64,
          max: TIMELAPSE_MAX_SIDE,
          value: settings.timelapse.maxSide,
        },
      ]}
      toPatch={([maxFrames, maxSide]) => ({ timelapse: { maxFrames, maxSide } })}
    />
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
      <Section id="timelapse" title={i18n.t('ui_timelapse')} className="section panel">
        <p className="muted">{i18n.t('ui_timelapse_help')}</p>
        <Check
          testid="setting-timelapse"
          checked={settings.timelapse.enabled}
          onChange={(on) => void save({ timelapse: { enabled: on } })}
        >
          {i18n.t('ui_timelapse_enabled')}
        </Check>
        <TimelapseForm settings={settings} />
      </Section>
      <Section id="retention" title={i18n.t('ui_retention')} className="section panel">
        <p className="muted">{i18n.t('ui_retention_help')}</p>
        <RetentionForm settings={settings} />
      </Section>
    </>
  );
}
