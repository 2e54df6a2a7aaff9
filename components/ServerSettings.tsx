/** Every configured server as an editable form, then an "add server" form on demand (or at once if none). */

import { useState } from 'react';
import { i18n } from '#i18n';
import { useServers } from '@/lib/ext/ui/hooks';
import { Section } from './Section';
import { ServerForm } from './ServerForm';

export function ServerSettings() {
  const servers = useServers();
  const [adding, setAdding] = useState(false);
  if (!servers) return <p className="muted">{i18n.t('ui_loading')}</p>;
  const showNew = adding || servers.length === 0;
  return (
    <Section id="servers" title={i18n.t('ui_servers')}>
      {servers.map((s) => (
        <ServerForm key={s.id} server={s} />
      ))}
      {showNew ? (
        <ServerForm onSaved={() => setAdding(false)} />
      ) : (
        <div className="form-row">
          <button type="button" className="btn" data-testid="server-add" onClick={() => setAdding(true)}>
            {i18n.t('ui_add_server')}
          </button>
        </div>
      )}
    </Section>
  );
}
