import { Button, Card, CardBody, CardHeader, Notice, TextControl } from "@wordpress/components";
import { useState } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { SaveFooter } from "../components/save-footer";
import { fromConstant, useSettingsSave } from "../components/use-settings-save";
import type { SluiceSettings } from "../lib/api";
import { turnstileChanges, turnstileOn } from "../lib/turnstile-settings";

/**
 * Cloudflare Turnstile's site key and write-only secret: with both set, every question
 * from a Chat block needs the widget's token, checked by WordPress before the gateway.
 */
export function TurnstilePanel({
  settings,
  onSaved,
}: {
  settings: SluiceSettings;
  onSaved(settings: SluiceSettings): void;
}) {
  const [siteKey, setSiteKey] = useState(settings.turnstile_site_key ?? "");
  const [secret, setSecret] = useState("");
  const { saving, status, setStatus, save } = useSettingsSave(onSaved, (saved) => {
    setSiteKey(saved.turnstile_site_key ?? "");
    setSecret("");
  });
  const on = turnstileOn(settings);

  const submit = (event: { preventDefault(): void }) => {
    event.preventDefault();
    const result = turnstileChanges({ siteKey, secret }, settings);
    if ("error" in result) {
      setStatus({ kind: "error", message: result.error });
      return;
    }
    void save(result.changes, __("Bot check saved.", "sluice"));
  };

  const secretHelp = settings.turnstile_secret_from_constant
    ? fromConstant("SLUICE_TURNSTILE_SECRET")
    : settings.turnstile_secret_set
      ? __(
          "A secret key is set. It is stored encrypted and never shown; type a new one to replace it.",
          "sluice",
        )
      : __("Not set. Paste the secret key from Cloudflare's Turnstile screen.", "sluice");

  return (
    <Card className="sluice-admin__panel sluice-admin__turnstile">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">
          {__("Bot check (Cloudflare Turnstile)", "sluice")}
        </h2>
      </CardHeader>
      <form onSubmit={submit}>
        <CardBody className="sluice-admin__fields">
          {status ? (
            <Notice status={status.kind} isDismissible onRemove={() => setStatus(undefined)}>
              {status.message}
            </Notice>
          ) : null}
          <p className="sluice-admin__turnstile-state">
            {on
              ? __(
                  "On: visitors pass Cloudflare's check before each question, and WordPress verifies it before anything reaches the gateway. Pages with a Chat block load Cloudflare's script.",
                  "sluice",
                )
              : __(
                  "Off. With a site key and a secret key from Cloudflare (Turnstile → Add widget, with this site's domain), every question needs the check.",
                  "sluice",
                )}
          </p>
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Site key", "sluice")}
            placeholder="0x4AAAAAAA…"
            value={siteKey}
            disabled={settings.turnstile_site_key_from_constant}
            help={
              settings.turnstile_site_key_from_constant
                ? fromConstant("SLUICE_TURNSTILE_SITE_KEY")
                : __("Public: it is printed on pages with a Chat block.", "sluice")
            }
            onChange={setSiteKey}
          />
          <div className="sluice-admin__secret">
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__("Secret key", "sluice")}
              type="password"
              autoComplete="new-password"
              value={secret}
              disabled={settings.turnstile_secret_from_constant}
              placeholder={
                settings.turnstile_secret_from_constant
                  ? __("from wp-config.php", "sluice")
                  : settings.turnstile_secret_set
                    ? __("set", "sluice")
                    : ""
              }
              help={secretHelp}
              onChange={setSecret}
            />
            {settings.turnstile_secret_set && !settings.turnstile_secret_from_constant ? (
              <Button
                variant="link"
                isDestructive
                disabled={saving}
                onClick={() =>
                  void save(
                    { turnstile_secret: "" },
                    __("The secret key was removed: the bot check is off.", "sluice"),
                  )
                }
              >
                {__("Remove the secret key (turns the check off)", "sluice")}
              </Button>
            ) : null}
          </div>
        </CardBody>
        <SaveFooter label={__("Save", "sluice")} saving={saving} />
      </form>
    </Card>
  );
}
