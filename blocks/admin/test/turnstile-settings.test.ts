import { describe, expect, test } from "vitest";
import type { SluiceSettings } from "../lib/api";
import { turnstileChanges, turnstileOn } from "../lib/turnstile-settings";

const settings = (extra: Partial<SluiceSettings> = {}): SluiceSettings => ({
  gateway_url: "https://gateway.example",
  site_id: "blog",
  secret_set: true,
  secret_from_constant: false,
  streaming_mode: "auto",
  rate_limit_per_minute: 20,
  turnstile_site_key: "",
  turnstile_secret_set: false,
  turnstile_site_key_from_constant: false,
  turnstile_secret_from_constant: false,
  ...extra,
});

describe("Turnstile settings", () => {
  test("the check is on only with both keys", () => {
    expect(turnstileOn(settings())).toBe(false);
    expect(turnstileOn(settings({ turnstile_site_key: "0x4AAA" }))).toBe(false);
    expect(turnstileOn(settings({ turnstile_secret_set: true }))).toBe(false);
    expect(
      turnstileOn(settings({ turnstile_site_key: "0x4AAA", turnstile_secret_set: true })),
    ).toBe(true);
  });

  test("sends the trimmed site key, and the secret only when one was typed", () => {
    expect(turnstileChanges({ siteKey: " 0x4AAA-b_c ", secret: "" }, settings())).toEqual({
      changes: { turnstile_site_key: "0x4AAA-b_c" },
    });
    expect(turnstileChanges({ siteKey: "0x4AAA", secret: " 0x4SECRET " }, settings())).toEqual({
      changes: { turnstile_site_key: "0x4AAA", turnstile_secret: "0x4SECRET" },
    });
    // An emptied site key turns the check off.
    expect(turnstileChanges({ siteKey: "", secret: "" }, settings())).toEqual({
      changes: { turnstile_site_key: "" },
    });
  });

  test("never sends what wp-config.php sets", () => {
    expect(
      turnstileChanges(
        { siteKey: "0x4AAA", secret: "0x4SECRET" },
        settings({ turnstile_site_key_from_constant: true, turnstile_secret_from_constant: true }),
      ),
    ).toEqual({ changes: {} });
  });

  test("refuses keys Cloudflare never gives, with a sentence, before sending", () => {
    const badKey = turnstileChanges({ siteKey: "not a key!", secret: "" }, settings());
    expect(badKey).toEqual({ error: expect.stringContaining("site key") });
    const badSecret = turnstileChanges({ siteKey: "0x4AAA", secret: "has space" }, settings());
    expect(badSecret).toEqual({ error: expect.stringContaining("secret key") });
    expect(turnstileChanges({ siteKey: "x".repeat(129), secret: "" }, settings())).toHaveProperty(
      "error",
    );
  });
});
