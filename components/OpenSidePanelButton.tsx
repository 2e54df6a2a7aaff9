import { useEffect, useState } from 'react';
import { i18n } from '#i18n';
import { useServices } from '@/lib/ext/ui/services';

/**
 * Opens the side panel. The window id is looked up before the click, because `chrome.sidePanel.open`
 * must run inside the click's user gesture, with no await before it.
 */
export function OpenSidePanelButton({ jobKey }: { jobKey?: string }) {
  const services = useServices();
  const [windowId, setWindowId] = useState<number>();
  useEffect(() => {
    let alive = true;
    void services.currentWindowId().then((id) => {
      if (alive) setWindowId(id);
    });
    return () => {
      alive = false;
    };
  }, [services]);
  return (
    <button
      type="button"
      className="btn"
      data-testid="open-sidepanel"
      onClick={() => void services.openSidePanel(windowId, jobKey)}
    >
      {i18n.t('ui_open_sidepanel')}
    </button>
  );
}
