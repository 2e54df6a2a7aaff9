/** An accessible progress bar: `role="progressbar"` with integer `aria-valuenow` out of `aria-valuemax`. */
export function ProgressBar({ value, max = 100, label }: { value: number; max?: number; label: string }) {
  const clamped = Math.min(max, Math.max(0, value));
  return (
    <div
      className="progress"
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
