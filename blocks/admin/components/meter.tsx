import { clsx } from "./clsx";

/**
 * A horizontal bar showing how much of a cap is used, with its own label for
 * screen readers (role="progressbar" with a value text).
 */
export function Meter({
  fraction,
  label,
  valueText,
  tone,
}: {
  /** Used share of the cap, 0 and up (drawn up to 1). */
  fraction: number;
  label: string;
  valueText: string;
  tone: "normal" | "warning" | "reached";
}) {
  const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div
      className={clsx("sluice-meter", `sluice-meter--${tone}`)}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={valueText}
    >
      <div className="sluice-meter__fill" style={{ width: `${percent}%` }} />
    </div>
  );
}
