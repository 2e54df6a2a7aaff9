/** The toolbar popup: connection per server, active jobs with live preview and cancel, recent jobs. */
import { AppHeader } from './AppHeader';
import { JobBoard } from './JobBoard';
import { OpenSidePanelButton } from './OpenSidePanelButton';

export const POPUP_RECENT_LIMIT = 3;

export function PopupApp() {
  return (
    <div className="app app-popup">
      <AppHeader>
        <OpenSidePanelButton />
      </AppHeader>
      <main>
        <JobBoard recentLimit={POPUP_RECENT_LIMIT} />
      </main>
    </div>
  );
}
