/**
 * The sync key over plain http (issue 8): an address that is `http://` and not this machine gets a clear
 * warning as soon as it is typed, and a change that would send the key there (a new address, a new key,
 * or switching sync on) is saved only once the user ticks that they mean it. Loopback and https addresses,
 * the common setups, see nothing.
 */
import { useState } from 'react';
import { i18n } from '#i18n';
import { isPlainHttpRemote } from '@/lib/ext/permissions';
import { Check } from './form';

export interface PlainHttpConsent {
  /** The address is plain http to another machine. */
  exposed: boolean;
  /** Saving now would send the key there for the first time, so the tick is required. */
  needed: boolean;
  ticked: boolean;
  setTicked(v: boolean): void;
  /** Saving may go ahead. */
  consented: boolean;
}

export function usePlainHttpConsent(form: {
  url: string;
  enabled: boolean;
  keyTyped: boolean;
  initial: { url: string; enabled: boolean; apiKey: string };
}): PlainHttpConsent {
  const [ticked, setTicked] = useState(false);
  const exposed = isPlainHttpRemote(form.url);
  const hasKey = form.keyTyped || form.initial.apiKey !== '';
  const changed = form.keyTyped || form.url.trim() !== form.initial.url || !form.initial.enabled;
  const needed = exposed && form.enabled && hasKey && changed;
  return { exposed, needed, ticked, setTicked, consented: !needed || ticked };
}

export function PlainHttpKeyWarning({ consent }: { consent: PlainHttpConsent }) {
  if (!consent.exposed) return null;
  return (
    <div className="form-row">
      <p className="form-status err" role="alert" data-testid="sync-plain-http-warning">
        {i18n.t('ui_sync_plain_http')}
      </p>
      {consent.needed && (
        <Check testid="sync-plain-http-ack" checked={consent.ticked} onChange={consent.setTicked}>
          {i18n.t('ui_sync_plain_http_ack')}
        </Check>
      )}
    </div>
  );
}
