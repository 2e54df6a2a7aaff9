import '@/assets/ui.css';
import { i18n } from '#i18n';
import { OptionsApp } from '@/components/OptionsApp';
import { mountPage } from '@/lib/ext/ui/mount';

mountPage(<OptionsApp />, i18n.t('ui_options_title'));
