/** Boots an extension page: real services, page title and language from i18n, React root. */

import { type ReactElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { browser } from 'wxt/browser';
import { i18n } from '#i18n';
import { createBrowserServices } from './browser-services';
import { ServicesProvider } from './services';

export function mountPage(app: ReactElement, title: string): void {
  // Benchmarks read this mark: time from navigation to the bundle running.
  performance.mark('comfypulse:mount');
  document.documentElement.lang = browser.i18n.getUILanguage();
  document.title = `${title} · ${i18n.t('extName')}`;
  const services = createBrowserServices();
  addEventListener('pagehide', () => {
    services.live.close();
    services.engine.close();
  });
  const root = document.getElementById('root');
  if (!root) throw new Error('#root missing');
  createRoot(root).render(
    <StrictMode>
      <ServicesProvider services={services}>{app}</ServicesProvider>
    </StrictMode>,
  );
}
