/** The side panel: the popup's board, larger, with per-node progress, the history and a job's detail. */
import { AppHeader } from './AppHeader';
import { HistorySection } from './HistorySection';
import { JobBoard } from './JobBoard';
import { JobDetailView } from './JobDetail';
import { useHashRoute } from './useHashRoute';

export const SIDEPANEL_RECENT_LIMIT = 5;

export function SidePanelApp() {
  const { jobKey, open } = useHashRoute();
  return (
    <div className="app app-sidepanel">
      <AppHeader />
      <main>
        {jobKey !== undefined ? (
          <JobDetailView jobKey={jobKey} onBack={() => open(undefined)} />
        ) : (
          <>
            <JobBoard recentLimit={SIDEPANEL_RECENT_LIMIT} large onOpen={open} />
            <HistorySection onOpen={open} />
          </>
        )}
      </main>
    </div>
  );
}
