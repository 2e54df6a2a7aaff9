/**
 * The side panel's only route: `#job=<key>` shows a job's detail (notifications and the popup link to it);
 * no hash shows the board and the history. The hash is the state, so reload and back work.
 */
import { useCallback, useEffect, useState } from 'react';

export function parseJobHash(hash: string): string | undefined {
  const m = /^#job=(.+)$/.exec(hash);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

export function jobHash(jobKey: string): string {
  return `#job=${encodeURIComponent(jobKey)}`;
}

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
