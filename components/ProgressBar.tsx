/**
 * An accessible progress bar: `role="progressbar"` with integer `aria-valuenow` out of `aria-valuemax`.
 * `busy` animates a bar that has no step progress to show (a job seen only through the queue), while the
 * value stays what is known.
 */
export function ProgressBar({
  value,
  max = 100,
  label,
  busy = false,
}: {
  value: number;
  max?: number;
  label: string;
  busy?: boolean;
}) {
  const clamped = Math.min(max, Math.max(0, value));
  return (
    <div
      className={busy ? 'progress progress-busy' : 'progress'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={clamped}
    >
      <div className="progress-fill" style={{ width: `${max > 0 ? (clamped / max) * 100 : 0}%` }} />
    </div>
  );
}
