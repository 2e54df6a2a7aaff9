import { useEffect, useState } from 'react';
import { i18n } from '#i18n';
import { useServices } from '@/lib/ext/ui/services';

/**
 * The id of the window this page lives in, looked up ahead of time: `chrome.sidePanel.open` must run
 * inside a click's user gesture, with no await before it.
 */
export function useWindowId(): number | undefined {
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
  return windowId;
}

export function OpenSidePanelButton({ windowId }: { windowId: number | undefined }) {
  const services = useServices();
  return (
    <button
      type="button"
      className="btn"
      data-testid="open-sidepanel"
      onClick={() => void services.openSidePanel(windowId)}
    >
      {i18n.t('ui_open_sidepanel')}
    </button>
  );
}
