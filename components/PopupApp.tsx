/**
 * The toolbar popup: connection per server, active jobs with live preview and cancel, recent jobs. A job's
 * title opens the side panel at that job.
 */
import { useCallback } from 'react';
import { useServices } from '@/lib/ext/ui/services';
import { AppHeader } from './AppHeader';
import { JobBoard } from './JobBoard';
import { OpenSidePanelButton, useWindowId } from './OpenSidePanelButton';

export const POPUP_RECENT_LIMIT = 3;

export function PopupApp() {
  const services = useServices();
  const windowId = useWindowId();
  const openJob = useCallback(
    (jobKey: string) => void services.openSidePanel(windowId, jobKey),
    [services, windowId],
  );
  return (
    <div className="app app-popup">
      <AppHeader>
        <OpenSidePanelButton windowId={windowId} />
      </AppHeader>
      <main>
        <JobBoard recentLimit={POPUP_RECENT_LIMIT} onOpen={openJob} />
      </main>
    </div>
  );
}
