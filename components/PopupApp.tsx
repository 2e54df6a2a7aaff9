/**
 * The toolbar popup: connection per server, active jobs with live preview and cancel, recent jobs; when
 * nothing runs, a gallery of the latest results. A job's title or tile opens the side panel at that job.
 */
import { useCallback } from 'react';
import { useServices } from '@/lib/ext/ui/services';
import { AppHeader } from './AppHeader';
import { JobBoard } from './JobBoard';
import { OpenSidePanelButton, useWindowId } from './OpenSidePanelButton';

export const POPUP_RECENT_LIMIT = 3;
export const POPUP_GALLERY_LIMIT = 6;

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
        <JobBoard
          recent="cards"
          recentLimit={POPUP_RECENT_LIMIT}
          galleryLimit={POPUP_GALLERY_LIMIT}
          onOpen={openJob}
        />
      </main>
    </div>
  );
}
