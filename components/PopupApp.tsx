/** The toolbar popup: connection per server, active jobs with live preview and cancel, recent jobs. */
import { i18n } from '#i18n';
import { useServices } from '@/lib/ext/ui/services';
import { ConnectionStrip } from './ConnectionStrip';
import { JobBoard } from './JobBoard';
import { OpenSidePanelButton } from './OpenSidePanelButton';

export const POPUP_RECENT_LIMIT = 3;

export function PopupApp() {
  const { openOptions } = useServices();
  return (
    <div className="app app-popup">
      <header className="app-head">
        <h1 className="app-title">{i18n.t('extName')}</h1>
        <div className="app-actions">
          <OpenSidePanelButton />
          <button type="button" className="btn btn-ghost" data-testid="open-options" onClick={openOptions}>
            {i18n.t('ui_options')}
          </button>
        </div>
      </header>
      <ConnectionStrip onConfigure={openOptions} />
      <main>
        <JobBoard recentLimit={POPUP_RECENT_LIMIT} />
      </main>
    </div>
  );
}
