/**
 * The side panel: active jobs, larger, with per-node progress; below them the history of finished jobs
 * (each job in exactly one of the two); and a job's detail.
 */
import { AppHeader } from './AppHeader';
import { HistorySection } from './HistorySection';
import { JobBoard } from './JobBoard';
import { JobDetailView } from './JobDetail';
import { useHashRoute } from './useHashRoute';

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
            <JobBoard recent="none" large onOpen={open} />
            <HistorySection onOpen={open} />
          </>
        )}
      </main>
    </div>
  );
}
