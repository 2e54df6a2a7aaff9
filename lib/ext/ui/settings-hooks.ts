/** Settings for the options page; kept apart from `hooks.ts` so zod stays out of the popup's bundle. */
import { useLiveQuery } from 'dexie-react-hooks';
import { getSettings, type Settings } from '../settings';
import { useServices } from './services';

export function useSettings(): Settings | undefined {
  const { db } = useServices();
  return useLiveQuery(() => getSettings(db), [db]);
}
