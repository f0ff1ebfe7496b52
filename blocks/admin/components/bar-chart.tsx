import { useId } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { chartScale, labelledIndexes, layoutBars } from "../lib/chart";

export interface ChartPoint {
  /** Short label under the bar ("Jul 3"). */
  label: string;
  /** Full label for tooltips and the table ("Friday, July 3, 2026"). */
  fullLabel: string;
  value: number;
  /** Extra cells for the table view, after the value. */
  details?: string[];
}

const WIDTH = 720;
const HEIGHT = 220;
const AXIS_LEFT = 64;
const AXIS_BOTTOM = 28;
const TOP = 10;

/**
 * A small dependency-free SVG bar chart. The picture is one image with a
 * summary for screen readers; the same numbers are in a table under "Show as a
 * table" for anyone who needs them.
 */
export function BarChart({
  points,
  title,
  summary,
  formatValue,
  valueHeading,
  detailHeadings = [],
}: {
  points: ChartPoint[];
  title: string;
  /** One sentence that says what the chart shows (its accessible description). */
  summary: string;
  formatValue(value: number): string;
  valueHeading: string;
  detailHeadings?: string[];
}) {
  const id = `sluice-chart${useId().replace(/:/g, "")}`;
  const plotWidth = WIDTH - AXIS_LEFT - 8;
  const plotHeight = HEIGHT - AXIS_BOTTOM - TOP;
  const scale = chartScale(points.map((point) => point.value));
  const bars = layoutBars(
    points.map((point) => point.value),
    scale.max,
    { width: plotWidth, height: plotHeight },
  );
  const labelled = labelledIndexes(points.length, 10);

  return (
    <figure className="sluice-chart">
      <svg
        className="sluice-chart__svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{summary}</desc>
        <g transform={`translate(${AXIS_LEFT} ${TOP})`}>
          {scale.ticks.map((tick) => {
            const y = plotHeight - (scale.max > 0 ? (tick / scale.max) * plotHeight : 0);
            return (
              <g key={tick} className="sluice-chart__tick">
                <line x1={0} x2={plotWidth} y1={y} y2={y} />
                <text x={-8} y={y} dy="0.32em" textAnchor="end">
                  {formatValue(tick)}
                </text>
              </g>
            );
          })}
          {bars.map((bar, index) => {
            const point = points[index] as ChartPoint;
            return (
              <g key={point.fullLabel} className="sluice-chart__bar">
                <rect x={bar.x} y={bar.y} width={bar.width} height={bar.height}>
                  <title>{`${point.fullLabel}: ${formatValue(point.value)}`}</title>
                </rect>
                {labelled.has(index) ? (
                  <text
                    className="sluice-chart__label"
                    x={bar.x + bar.width / 2}
                    y={plotHeight + 18}
                    textAnchor="middle"
                  >
                    {point.label}
                  </text>
                ) : null}
              </g>
            );
          })}
          <line
            className="sluice-chart__axis"
            x1={0}
            x2={plotWidth}
            y1={plotHeight}
            y2={plotHeight}
          />
        </g>
      </svg>
      <details className="sluice-chart__table">
        <summary>{__("Show as a table", "sluice")}</summary>
        <table className="widefat striped">
          <caption className="screen-reader-text">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{__("Day", "sluice")}</th>
              <th scope="col">{valueHeading}</th>
              {detailHeadings.map((heading) => (
                <th scope="col" key={heading}>
                  {heading}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((point) => (
              <tr key={point.fullLabel}>
                <th scope="row">{point.fullLabel}</th>
                <td>{formatValue(point.value)}</td>
                {(point.details ?? []).map((detail, index) => (
                  <td key={detailHeadings[index] ?? index}>{detail}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
