import { PanelBody, RangeControl, ToggleControl } from "@wordpress/components";
import { __ } from "@wordpress/i18n";
import type { ChatAttributes } from "../attributes";
import { clampMemoryDays, MAX_MEMORY_DAYS } from "./settings";

type Settings = Pick<ChatAttributes, "memoryDays" | "keepTranscripts">;

/** The sidebar's "Memory and privacy": how long the browser keeps a conversation, and transcripts. */
export function PrivacyPanel({
  memoryDays,
  keepTranscripts,
  onChange,
}: Settings & { onChange: (next: Partial<Settings>) => void }) {
  return (
    <PanelBody title={__("Memory and privacy", "sluice")} initialOpen={false}>
      <RangeControl
        __next40pxDefaultSize
        __nextHasNoMarginBottom
        label={__("Remember the conversation (days)", "sluice")}
        help={__(
          "How long the visitor's browser keeps the conversation, so that it is still there after a reload or on another page. 0 keeps it for this page view only.",
          "sluice",
        )}
        value={memoryDays}
        min={0}
        max={MAX_MEMORY_DAYS}
        step={1}
        withInputField
        onChange={(next) => onChange({ memoryDays: clampMemoryDays(next) })}
      />
      <ToggleControl
        __nextHasNoMarginBottom
        label={__("Keep transcripts for the site admin", "sluice")}
        help={__(
          "The questions and answers of this block are kept for administrators in Settings → Sluice → Transcripts. Visitors are known there by a hashed id, never by their IP address; how long transcripts are kept is set there.",
          "sluice",
        )}
        checked={keepTranscripts}
        onChange={(next) => onChange({ keepTranscripts: next })}
      />
    </PanelBody>
  );
}
