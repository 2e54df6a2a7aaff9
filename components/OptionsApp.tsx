/** The options page: servers (with the connection doctor), notifications, previews, retention, sync. */
import { i18n } from '#i18n';
import { PreferencesForm } from './PreferencesForm';
import { ServerSettings } from './ServerSettings';
import { SyncPanel } from './SyncPanel';

export function OptionsApp() {
  return (
    <div className="app app-options">
      <header className="app-head">
        <h1 className="app-title">{i18n.t('ui_options_heading')}</h1>
      </header>
      <ServerSettings />
      <PreferencesForm />
      <SyncPanel />
    </div>
  );
}
