/**
 * Filters of the history list: free text (workflow, node names, errors, files), status, server, and a date
 * range (local days, inclusive). The history holds finished jobs only, so the statuses are the terminal ones.
 */
import { i18n } from '#i18n';
import { type JobStatus, TERMINAL_STATUSES } from '@/lib/comfy/types';
import type { PublicServer } from '@/lib/ext/storage/repo';
import { statusLabel } from './labels';

export interface HistoryFilterValue {
  text: string;
  status: JobStatus | '';
  serverId: string;
  /** `YYYY-MM-DD` as an `<input type="date">` gives it, or ''. */
  fromDay: string;
  toDay: string;
}

export const NO_FILTER: HistoryFilterValue = { text: '', status: '', serverId: '', fromDay: '', toDay: '' };

/** Local-time bounds of the chosen days, inclusive of the whole last day. */
export function dayBounds(v: HistoryFilterValue): { from?: number; to?: number } {
  const out: { from?: number; to?: number } = {};
  const parse = (day: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
  };
  const from = parse(v.fromDay);
  const to = parse(v.toDay);
  if (from) out.from = from.getTime();
  if (to) out.to = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1).getTime() - 1;
  return out;
}

function DayFilter({
  label,
  testid,
  value,
  onChange,
}: {
  label: string;
  testid: string;
  value: string;
  onChange(day: string): void;
}) {
  return (
    <label>
      <span>{label}</span>
      <input type="date" data-testid={testid} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

export function HistoryFilters({
  value,
  servers,
  onChange,
}: {
  value: HistoryFilterValue;
  servers: readonly PublicServer[];
  onChange(v: HistoryFilterValue): void;
}) {
  return (
    <fieldset className="filters">
      <legend className="sr-only">{i18n.t('ui_history_filters')}</legend>
      <label className="filter-text">
        <span>{i18n.t('ui_filter_text')}</span>
        <input
          type="search"
          data-testid="history-filter-text"
          placeholder={i18n.t('ui_filter_text_placeholder')}
          value={value.text}
          maxLength={200}
          onChange={(e) => onChange({ ...value, text: e.target.value })}
        />
      </label>
      <label>
        <span>{i18n.t('ui_filter_status')}</span>
        <select
          data-testid="history-filter-status"
          value={value.status}
          onChange={(e) => onChange({ ...value, status: e.target.value as JobStatus | '' })}
        >
          <option value="">{i18n.t('ui_filter_all')}</option>
          {TERMINAL_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>{i18n.t('ui_filter_server')}</span>
        <select
          data-testid="history-filter-server"
          value={value.serverId}
          onChange={(e) => onChange({ ...value, serverId: e.target.value })}
        >
          <option value="">{i18n.t('ui_filter_all')}</option>
          {servers.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <DayFilter
        label={i18n.t('ui_filter_from')}
        testid="history-filter-from"
        value={value.fromDay}
        onChange={(fromDay) => onChange({ ...value, fromDay })}
      />
      <DayFilter
        label={i18n.t('ui_filter_to')}
        testid="history-filter-to"
        value={value.toDay}
        onChange={(toDay) => onChange({ ...value, toDay })}
      />
    </fieldset>
  );
}
