import '@/assets/ui.css';
import { i18n } from '#i18n';
import { SidePanelApp } from '@/components/SidePanelApp';
import { mountPage } from '@/lib/ext/ui/mount';

mountPage(<SidePanelApp />, i18n.t('ui_sidepanel_title'));
