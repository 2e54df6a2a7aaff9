/**
 * The connection doctor: runs the background's checks against a server and shows the finding in plain
 * words with the fix (the message is localised by the background and is rendered as text), then offers to
 * test again.
 *
 * A server not saved yet (the add form) is probed as it will run once saved, which needs its host
 * permission: the click asks for it first, as saving would (the browser prompts only inside a gesture).
 */

import { useState } from 'react';
import { i18n } from '#i18n';
import { errorText } from '@/lib/ext/error-text';
import { permissionOriginsFor } from '@/lib/ext/permissions';
import type { DoctorReport, ProtocolRequest } from '@/lib/ext/protocol';
import { useServices } from '@/lib/ext/ui/services';
import { FormStatus } from './form';

/** A saved server (by id) or a candidate not saved yet (the add form's current values). */
export type DoctorTarget = ProtocolRequest<'bg:runDoctor'>;

export function DoctorPanel({ target }: { target: () => DoctorTarget }) {
  const { send, requestOrigins } = useServices();
  const [report, setReport] = useState<DoctorReport>();
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string>();
  const run = async () => {
    const req = target();
    // No await before this call: the permission prompt needs the click's user gesture. A refusal is
    // reported by the doctor itself (its first check), so the answer is not needed here.
    const asked = req.url ? requestOrigins(permissionOriginsFor(req.url)).catch(() => false) : undefined;
    setRunning(true);
    setFailure(undefined);
    try {
      await asked;
      setReport(await send('bg:runDoctor', req));
    } catch (e) {
      setFailure(errorText(e));
    } finally {
      setRunning(false);
    }
  };
  return (
    <div className="doctor">
      <div className="form-row">
        <button type="button" className="btn" data-testid="doctor-run" disabled={running} onClick={run}>
          {running
            ? i18n.t('ui_doctor_running')
            : report
              ? i18n.t('ui_doctor_again')
              : i18n.t('ui_doctor_run')}
        </button>
      </div>
      {failure !== undefined && <FormStatus kind="err">{failure}</FormStatus>}
      {report && (
        <div
          className={`doctor-result finding-${report.finding}`}
          data-testid="doctor-result"
          data-finding={report.finding}
          role="status"
        >
          <p>
            <strong>{report.finding === 'ok' ? i18n.t('ui_doctor_ok') : i18n.t('ui_doctor_problem')}</strong>{' '}
            {report.message}
          </p>
          {report.serverVersion !== undefined && <p>{i18n.t('ui_doctor_version', [report.serverVersion])}</p>}
          <ul className="doctor-checks">
            {report.checks.map((c) => (
              <li key={c.name} data-ok={String(c.ok)}>
                {c.ok ? i18n.t('ui_check_ok') : i18n.t('ui_check_failed')} {c.name}
                {c.detail ? ` — ${c.detail}` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
