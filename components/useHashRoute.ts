/** The side panel's route as React state; the hash is the state, so reload and back work. */
import { useCallback, useEffect, useState } from 'react';
import { jobHash, parseJobHash } from '@/lib/ext/ui/route';

export function useHashRoute(): { jobKey: string | undefined; open(jobKey: string | undefined): void } {
  const [jobKey, setJobKey] = useState(() => parseJobHash(location.hash));
  useEffect(() => {
    const onChange = () => setJobKey(parseJobHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  const open = useCallback((key: string | undefined) => {
    if (key === undefined) history.pushState(null, '', location.pathname + location.search);
    else location.hash = jobHash(key);
    setJobKey(key);
  }, []);
  return { jobKey, open };
}
