/**
 * Per-node timing as bars: each node that ran is a bar of its duration, with a mark at its class's median
 * over the user's own earlier runs, so a node that took much longer than usual stands out at a glance.
 * Widths share one scale (the longest bar or median), so bars compare across rows too.
 */
import { i18n } from '#i18n';
import { formatSeconds } from '@/lib/ext/ui/format';
import type { TimingRow } from './JobDetail';

/** A node counts as slow when it took this many times its class's median, or more. */
export const SLOW_RATIO = 1.5;

export interface ChartBar {
  nodeId: string;
  label: string;
  durationMs: number;
  medianMs: number | undefined;
  /** duration / median, when there is a median. */
  ratio: number | undefined;
  slow: boolean;
  /** Widths in % of the chart's scale. */
  barPct: number;
  medianPct: number | undefined;
}

export function chartBars(
  rows: readonly TimingRow[],
  medians: ReadonlyMap<string, { medianMs: number }>,
): ChartBar[] {
  const ran = rows.filter((r) => !r.cached && r.durationMs !== undefined);
  const medianOf = (r: TimingRow) =>
    r.classType !== undefined ? medians.get(r.classType)?.medianMs : undefined;
  const scale = Math.max(1, ...ran.flatMap((r) => [r.durationMs!, medianOf(r) ?? 0]));
  return ran.map((r) => {
    const durationMs = r.durationMs!;
    const medianMs = medianOf(r);
    const ratio = medianMs !== undefined && medianMs > 0 ? durationMs / medianMs : undefined;
    return {
      nodeId: r.nodeId,
      label: r.classType ?? i18n.t('ui_node_id', [r.nodeId]),
      durationMs,
      medianMs,
      ratio,
      slow: ratio !== undefined && ratio >= SLOW_RATIO,
      barPct: (durationMs / scale) * 100,
      medianPct: medianMs !== undefined ? (medianMs / scale) * 100 : undefined,
    };
  });
}

export function NodeTimingChart({
  rows,
  medians,
}: {
  rows: readonly TimingRow[];
  medians: ReadonlyMap<string, { medianMs: number }>;
}) {
  const bars = chartBars(rows, medians);
  if (bars.length === 0) return null;
  return (
    <figure className="node-chart" data-testid="node-timing-chart">
      <ol className="node-chart-rows">
        {bars.map((b) => (
          <li
            key={b.nodeId}
            className={`node-chart-row${b.slow ? ' slow' : ''}`}
            data-testid="node-bar"
            data-node-id={b.nodeId}
            data-duration-ms={Math.round(b.durationMs)}
            data-median-ms={b.medianMs !== undefined ? Math.round(b.medianMs) : undefined}
            data-slow={String(b.slow)}
          >
            <span className="node-chart-label" title={b.label}>
              {b.label}
            </span>
            <span className="node-chart-track">
              <span className="node-chart-bar" style={{ width: `${b.barPct}%` }} />
              {b.medianPct !== undefined && (
                <span
                  className="node-chart-median"
                  style={{ left: `${b.medianPct}%` }}
                  title={i18n.t('ui_chart_median', [formatSeconds(b.medianMs!)])}
                />
              )}
            </span>
            <span className="node-chart-value num">
              {i18n.t('ui_seconds', [formatSeconds(b.durationMs)])}
              {b.slow && b.ratio !== undefined && (
                <strong className="node-chart-slow">
                  {' '}
                  {i18n.t('ui_chart_slower', [b.ratio.toFixed(1)])}
                </strong>
              )}
            </span>
          </li>
        ))}
      </ol>
      <figcaption className="muted">{i18n.t('ui_chart_legend')}</figcaption>
    </figure>
  );
}
