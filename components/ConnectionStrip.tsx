/** A badge per configured server, in the order they were added. */
import { i18n } from '#i18n';
import { useConnections, useServers } from '@/lib/ext/ui/hooks';
import { displayState } from '@/lib/ext/ui/merge';
import { ConnectionBadge } from './ConnectionBadge';

export function ConnectionStrip({ onConfigure }: { onConfigure?: () => void }) {
  const servers = useServers();
  const connections = useConnections();
  if (!servers) return null;
  if (servers.length === 0) {
    return (
      <div className="conn-strip">
        <span className="muted">{i18n.t('ui_no_servers')}</span>
        {onConfigure && (
          <button type="button" className="link" onClick={onConfigure}>
            {i18n.t('ui_open_options')}
          </button>
        )}
      </div>
    );
  }
  return (
    <section className="conn-strip" aria-label={i18n.t('ui_connections')}>
      {servers.map((s) => {
        const c = connections.get(s.id);
        return (
          <ConnectionBadge key={s.id} serverName={s.name} state={displayState(s, c)} detail={c?.detail} />
        );
      })}
    </section>
  );
}
