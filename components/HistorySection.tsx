/**
 * The side panel's history: finished jobs only (the active ones are in the board above it, so no job shows
 * twice), filtered by text, status, server and days.
 */
import { useEffect, useMemo, useState } from 'react';
import { i18n } from '#i18n';
import { TERMINAL_STATUSES } from '@/lib/comfy/types';
import { useServerMap, useServers } from '@/lib/ext/ui/hooks';
import { dayBounds, HistoryFilters, type HistoryFilterValue, NO_FILTER } from './HistoryFilters';
import { HistoryList } from './HistoryList';
import { Section } from './Section';

export const TEXT_DEBOUNCE_MS = 200;

export function HistorySection({
  onOpen,
  initialHeight,
}: {
  onOpen(jobKey: string): void;
  initialHeight?: number;
}) {
  const [value, setValue] = useState<HistoryFilterValue>(NO_FILTER);
  // typing runs one query when the user pauses, not one per keystroke
  const [text, setText] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setText(value.text.trim()), TEXT_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [value.text]);
  const servers = useServers();
  const serverMap = useServerMap();
  const filter = useMemo(
    () => ({
      status: value.status !== '' ? value.status : TERMINAL_STATUSES,
      ...(value.serverId !== '' && { serverId: value.serverId }),
      ...(text !== '' && { text }),
      ...dayBounds(value),
    }),
    [value, text],
  );
  return (
    <Section id="history" title={i18n.t('ui_history')} className="section history">
      <HistoryFilters value={value} servers={servers ?? []} onChange={setValue} />
      <HistoryList
        filter={filter}
        servers={serverMap}
        onOpen={onOpen}
        {...(initialHeight !== undefined && { initialHeight })}
      />
    </Section>
  );
}
