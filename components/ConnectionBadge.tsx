import type { ConnectionState } from '@/lib/comfy/types';
import { connectionLabel } from './labels';

/** One server's connection state, in words and colour; `detail` is remote-derived text, shown as text. */
export function ConnectionBadge({
  serverName,
  state,
  detail,
}: {
  serverName: string;
  state: ConnectionState;
  detail?: string | undefined;
}) {
  const label = connectionLabel(state);
  return (
    <span
      className={`conn conn-${state}`}
      data-testid="connection-status"
      data-state={state}
      title={detail ? `${label}: ${detail}` : label}
    >
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-name">{serverName}</span>
      <span className="conn-state">{label}</span>
    </span>
  );
}
