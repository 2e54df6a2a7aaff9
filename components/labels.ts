/**
 * Localised names for the enumerations the UI shows. Keys are spelled out (not built from the value) so
 * that the generated i18n types check every one and a renamed status fails to compile.
 */
import { i18n } from '#i18n';
import type { ConnectionState, JobStatus } from '@/lib/comfy/types';

export function statusLabel(status: JobStatus): string {
  switch (status) {
    case 'pending':
      return i18n.t('ui_status_pending');
    case 'running':
      return i18n.t('ui_status_running');
    case 'success':
      return i18n.t('ui_status_success');
    case 'error':
      return i18n.t('ui_status_error');
    case 'interrupted':
      return i18n.t('ui_status_interrupted');
    case 'cancelled':
      return i18n.t('ui_status_cancelled');
    case 'lost':
      return i18n.t('ui_status_lost');
  }
}

export function connectionLabel(state: ConnectionState): string {
  switch (state) {
    case 'connected':
      return i18n.t('ui_conn_connected');
    case 'connecting':
      return i18n.t('ui_conn_connecting');
    case 'reconnecting':
      return i18n.t('ui_conn_reconnecting');
    case 'offline':
      return i18n.t('ui_conn_offline');
    case 'rejected':
      return i18n.t('ui_conn_rejected');
    case 'auth-required':
      return i18n.t('ui_conn_auth_required');
  }
}
