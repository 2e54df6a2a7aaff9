/** "3 min ago", with the absolute date and time on hover and in `dateTime` for assistive technology. */
import { formatAbsolute, formatRelative } from '@/lib/ext/ui/format';

export function RelativeTime({ at, now }: { at: number; now: number }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={formatAbsolute(at)} data-testid="relative-time">
      {formatRelative(at, now)}
    </time>
  );
}
