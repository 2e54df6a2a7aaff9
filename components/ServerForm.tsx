/**
 * Add or edit one ComfyUI server. For a server that is not loopback, the host permission (http and ws
 * patterns) is requested first thing in the click handler, because the browser shows its prompt only
 * inside a user gesture; the server is saved only once the permission is granted.
 *
 * The form never sees a stored token (the UI gets `hasToken` only): an empty token field keeps the stored
 * one, "Remove token" clears it.
 */

import { useState } from 'react';
import { i18n } from '#i18n';
import { DEFAULT_TOKEN_MODE, type TokenMode } from '@/lib/ext/db';
import { errorText } from '@/lib/ext/error-text';
import { normaliseServerUrl, permissionOriginsFor } from '@/lib/ext/permissions';
import type { ServerInput } from '@/lib/ext/protocol';
import type { PublicServer } from '@/lib/ext/storage/repo';
import { useConnections } from '@/lib/ext/ui/hooks';
import { displayState } from '@/lib/ext/ui/merge';
import { useServices } from '@/lib/ext/ui/services';
import { ConnectionBadge } from './ConnectionBadge';
import { DoctorPanel } from './DoctorPanel';
import { Check, Field, FormStatus } from './form';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8188';

type Status = { kind: 'ok' | 'err'; text: string } | undefined;

export function ServerForm({ server, onSaved }: { server?: PublicServer; onSaved?: () => void }) {
  const services = useServices();
  const [name, setName] = useState(server?.name ?? i18n.t('ui_default_server_name'));
  const [url, setUrl] = useState(server?.url ?? DEFAULT_SERVER_URL);
  const [token, setToken] = useState('');
  const [clearToken, setClearToken] = useState(false);
  const [tokenMode, setTokenMode] = useState<TokenMode>(server?.tokenMode ?? DEFAULT_TOKEN_MODE);
  const [enabled, setEnabled] = useState(server?.enabled ?? true);
  const [status, setStatus] = useState<Status>();
  const [busy, setBusy] = useState(false);
  const idBase = `server-${server?.id ?? 'new'}`;
  const connection = useConnections().get(server?.id ?? '');

  const save = async () => {
    const normalised = normaliseServerUrl(url);
    if (!normalised) {
      setStatus({ kind: 'err', text: i18n.t('ui_invalid_url', [url]) });
      return;
    }
    // No await before this call: the permission prompt needs the click's user gesture.
    const granted = services.requestOrigins(permissionOriginsFor(normalised));
    setBusy(true);
    setStatus(undefined);
    try {
      if (!(await granted)) {
        setStatus({ kind: 'err', text: i18n.t('ui_permission_denied') });
        return;
      }
      const input: ServerInput = {
        ...(server && { id: server.id }),
        name: name.trim() || normalised,
        url: normalised,
        tokenMode,
        enabled,
        ...(token !== '' ? { token } : clearToken ? { token: '' } : {}),
      };
      const res = await services.send('bg:saveServer', input);
      if (res.ok) {
        setToken('');
        setClearToken(false);
        setStatus({ kind: 'ok', text: i18n.t('ui_saved') });
        onSaved?.();
      } else {
        setStatus({ kind: 'err', text: res.error });
      }
    } catch (e) {
      setStatus({ kind: 'err', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!server) return;
    setBusy(true);
    try {
      const res = await services.send('bg:removeServer', { id: server.id });
      if (!res.ok) setStatus({ kind: 'err', text: i18n.t('ui_remove_failed') });
    } catch (e) {
      setStatus({ kind: 'err', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="panel server-form"
      data-testid="server-form"
      data-server-id={server?.id ?? ''}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {server && (
        <div className="form-row">
          <ConnectionBadge
            serverName={server.name}
            state={displayState(server, connection)}
            detail={connection?.detail}
          />
        </div>
      )}
      <div className="form-grid">
        <Field
          id={`${idBase}-name`}
          label={i18n.t('ui_server_name')}
          testid="server-name"
          value={name}
          onChange={setName}
        />
        <Field
          id={`${idBase}-url`}
          label={i18n.t('ui_server_url')}
          testid="server-url"
          type="url"
          value={url}
          placeholder={DEFAULT_SERVER_URL}
          onChange={setUrl}
        />
        <Field
          id={`${idBase}-token`}
          label={i18n.t('ui_server_token')}
          testid="server-token"
          type="password"
          value={token}
          placeholder={server?.hasToken && !clearToken ? i18n.t('ui_token_kept') : i18n.t('ui_token_none')}
          onChange={setToken}
        />
        <label htmlFor={`${idBase}-mode`}>{i18n.t('ui_token_mode')}</label>
        <select
          id={`${idBase}-mode`}
          data-testid="server-token-mode"
          value={tokenMode}
          onChange={(e) => setTokenMode(e.target.value as TokenMode)}
        >
          <option value="header">{i18n.t('ui_token_mode_header')}</option>
          <option value="query">{i18n.t('ui_token_mode_query')}</option>
          <option value="both">{i18n.t('ui_token_mode_both')}</option>
        </select>
      </div>
      {tokenMode !== 'header' && (token !== '' || (server?.hasToken && !clearToken)) && (
        <p className="muted" data-testid="server-token-mode-hint">
          {i18n.t('ui_token_mode_query_hint')}
        </p>
      )}
      <div className="form-row">
        <Check testid="server-enabled" checked={enabled} onChange={setEnabled}>
          {i18n.t('ui_server_enabled')}
        </Check>
        {server?.hasToken && (
          <Check testid="server-token-clear" checked={clearToken} onChange={setClearToken}>
            {i18n.t('ui_token_clear')}
          </Check>
        )}
      </div>
      <div className="form-row">
        <button type="submit" className="btn btn-primary" data-testid="server-save" disabled={busy}>
          {i18n.t('ui_save')}
        </button>
        {server && (
          <button
            type="button"
            className="btn btn-danger"
            data-testid="server-remove"
            disabled={busy}
            onClick={remove}
          >
            {i18n.t('ui_remove')}
          </button>
        )}
        {status && (
          <FormStatus kind={status.kind} testid="server-save-status">
            {status.text}
          </FormStatus>
        )}
      </div>
      <DoctorPanel
        target={() =>
          server
            ? { serverId: server.id }
            : { url: normaliseServerUrl(url) ?? url, tokenMode, ...(token !== '' && { token }) }
        }
      />
    </form>
  );
}
