import { __experimentalNumberControl as NumberControl } from "@wordpress/components";
import { __ } from "@wordpress/i18n";
import { clampDailyQuestions } from "./settings";

/** The block's daily cap: questions answered a site day, all visitors together (0: no cap). */
export function DailyLimitControl({
  value,
  onChange,
}: {
  value: number;
  onChange: (next: number) => void;
}) {
  return (
    <NumberControl
      __next40pxDefaultSize
      label={__("Daily question limit", "sluice")}
      help={__(
        "Questions this block answers a day, all visitors together; further questions wait for the next day (the site's midnight). 0 means no limit.",
        "sluice",
      )}
      value={value}
      min={0}
      step={1}
      onChange={(next) => onChange(clampDailyQuestions(next))}
    />
  );
}
