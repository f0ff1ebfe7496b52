import { useState } from "@wordpress/element";
import { __, sprintf } from "@wordpress/i18n";
import { errorMessage, type SettingsChanges, type SluiceSettings, saveSettings } from "../lib/api";

/** A card's outcome line after Save: what was done, or why it was not. */
export type SaveStatus = { kind: "success" | "error"; message: string } | undefined;

/** The help of a field set in wp-config.php. */
export function fromConstant(constant: string): string {
  /* translators: %s: the constant's name, e.g. SLUICE_GATEWAY_URL */
  return sprintf(__("Set in wp-config.php (%s).", "sluice"), constant);
}

/**
 * Saving a settings card's fields through the settings route: busy while it runs, then
 * the route's answer goes to `onSaved` (and `reset`, which refills the card's draft) and
 * the status says `done`, or the route's error.
 */
export function useSettingsSave(
  onSaved: (settings: SluiceSettings) => void,
  reset: (settings: SluiceSettings) => void,
) {
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<SaveStatus>();
  const save = async (changes: SettingsChanges, done: string) => {
    setSaving(true);
    setStatus(undefined);
    try {
      const saved = await saveSettings(changes);
      onSaved(saved);
      reset(saved);
      setStatus({ kind: "success", message: done });
    } catch (error) {
      setStatus({ kind: "error", message: await errorMessage(error) });
    } finally {
      setSaving(false);
    }
  };
  return { saving, status, setStatus, save };
}
