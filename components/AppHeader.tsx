/** The header of the popup and the side panel: product name, page actions, and the options button. */

import type { ReactNode } from 'react';
import { i18n } from '#i18n';
import { useServices } from '@/lib/ext/ui/services';
import { ConnectionStrip } from './ConnectionStrip';

export function AppHeader({ children }: { children?: ReactNode }) {
  const { openOptions } = useServices();
  return (
    <>
      <header className="app-head">
        <h1 className="app-title">{i18n.t('extName')}</h1>
        <div className="app-actions">
          {children}
          <button type="button" className="btn btn-ghost" data-testid="open-options" onClick={openOptions}>
            {i18n.t('ui_options')}
          </button>
        </div>
      </header>
      <ConnectionStrip onConfigure={openOptions} />
    </>
  );
}
