/**
 * The side panel's only route: `#job=<key>` shows a job's detail (notifications and the popup link to
 * it); no hash shows the board and the history.
 */
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

export function sidePanelPath(jobKey?: string): string {
  return `sidepanel.html${jobKey !== undefined ? jobHash(jobKey) : ''}`;
}
