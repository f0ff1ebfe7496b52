import { __ } from "@wordpress/i18n";
import type { SettingsChanges, SluiceSettings } from "./api";

/** Turnstile's keys as the plugin accepts them (Settings::TURNSTILE_KEY_PATTERN). */
const KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export interface TurnstileDraft {
  siteKey: string;
  /** What the admin typed; "" keeps the stored secret. */
  secret: string;
}

/** Whether visitors' questions need a token: both keys set (wp-config.php or stored). */
export function turnstileOn(settings: SluiceSettings): boolean {
  return Boolean(settings.turnstile_site_key) && settings.turnstile_secret_set === true;
}

/**
 * What Save sends for the Turnstile fields, or a sentence for the admin when a key cannot
 * be a Turnstile key. Fields set in wp-config.php are never sent; an empty secret field
 * keeps the stored secret.
 */
export function turnstileChanges(
  draft: TurnstileDraft,
  settings: SluiceSettings,
): { changes: SettingsChanges } | { error: string } {
  const changes: SettingsChanges = {};
  const siteKey = draft.siteKey.trim();
  const secret = draft.secret.trim();
  if (!settings.turnstile_site_key_from_constant) {
    if (siteKey !== "" && !KEY_PATTERN.test(siteKey)) {
      return {
        error: __(
          "The site key is letters, digits, “-” and “_” only, as Cloudflare shows it (e.g. 0x4AAAAAAA…).",
          "sluice",
        ),
      };
    }
    changes.turnstile_site_key = siteKey;
  }
  if (!settings.turnstile_secret_from_constant && secret !== "") {
    if (!KEY_PATTERN.test(secret)) {
      return {
        error: __(
          "The secret key is letters, digits, “-” and “_” only, as Cloudflare shows it.",
          "sluice",
        ),
      };
    }
    changes.turnstile_secret = secret;
  }
  return { changes };
}
