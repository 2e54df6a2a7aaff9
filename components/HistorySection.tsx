import { useMemo, useState } from 'react';
import { i18n } from '#i18n';
import { useServerMap, useServers } from '@/lib/ext/ui/hooks';
import { dayBounds, HistoryFilters, type HistoryFilterValue, NO_FILTER } from './HistoryFilters';
import { HistoryList } from './HistoryList';
import { Section } from './Section';

export function HistorySection({
  onOpen,
  initialHeight,
}: {
  onOpen(jobKey: string): void;
  initialHeight?: number;
}) {
  const [value, setValue] = useState<HistoryFilterValue>(NO_FILTER);
  const servers = useServers();
  const serverMap = useServerMap();
  const filter = useMemo(
    () => ({
      ...(value.status !== '' && { status: value.status }),
      ...(value.serverId !== '' && { serverId: value.serverId }),
      ...dayBounds(value),
    }),
    [value],
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
