import '@/assets/ui.css';
import { i18n } from '#i18n';
import { PopupApp } from '@/components/PopupApp';
import { mountPage } from '@/lib/ext/ui/mount';

mountPage(<PopupApp />, i18n.t('ui_popup_title'));
