/** The side panel: the popup's board, larger, with per-node progress, the history and a job's detail. */
import { i18n } from '#i18n';
import { useServices } from '@/lib/ext/ui/services';
import { ConnectionStrip } from './ConnectionStrip';
import { HistorySection } from './HistorySection';
import { JobBoard } from './JobBoard';
import { JobDetailView } from './JobDetail';
import { useHashRoute } from './useHashRoute';

export const SIDEPANEL_RECENT_LIMIT = 5;

export function SidePanelApp() {
  const { openOptions } = useServices();
  const { jobKey, open } = useHashRoute();
  return (
    <div className="app app-sidepanel">
      <header className="app-head">
        <h1 className="app-title">{i18n.t('extName')}</h1>
        <div className="app-actions">
          <button type="button" className="btn btn-ghost" data-testid="open-options" onClick={openOptions}>
            {i18n.t('ui_options')}
          </button>
        </div>
      </header>
      <ConnectionStrip onConfigure={openOptions} />
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
