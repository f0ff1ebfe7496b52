import {
  Button,
  Card,
  CardBody,
  CardHeader,
  Notice,
  RadioControl,
  TextControl,
} from "@wordpress/components";
import { useState } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { SaveFooter } from "../components/save-footer";
import { fromConstant, useSettingsSave } from "../components/use-settings-save";
import type { SettingsChanges, SluiceSettings } from "../lib/api";

type StreamingMode = SluiceSettings["streaming_mode"];

const MODE_HELP: Record<StreamingMode, string> = {
  auto: __(
    "Answers stream in word by word. If this host turns out to buffer streams, each visitor's browser notices and switches to whole answers by itself.",
    "sluice",
  ),
  buffered: __(
    "Visitors see a “thinking” indicator, then the whole answer at once. For hosts that cannot stream (see “Test streaming” below).",
    "sluice",
  ),
  off: __(
    "The Chat blocks show a notice instead of the chat, and the chat route refuses requests.",
    "sluice",
  ),
};

interface Draft {
  gateway_url: string;
  site_id: string;
  secret: string;
  streaming_mode: StreamingMode;
  rate_limit_per_minute: string;
  direct_url: string;
}

function draftOf(settings: SluiceSettings): Draft {
  return {
    gateway_url: settings.gateway_url,
    site_id: settings.site_id,
    secret: "",
    streaming_mode: settings.streaming_mode,
    rate_limit_per_minute: String(settings.rate_limit_per_minute),
    direct_url: settings.direct_url ?? "",
  };
}

/**
 * Gateway URL, site id, write-only secret, direct streaming URL, streaming mode and rate
 * limit, with one Save,
 * under the settings route's warnings (each with the code to copy, if any).
 */
export function SettingsPanel({
  settings,
  onSaved,
}: {
  settings: SluiceSettings;
  onSaved(settings: SluiceSettings): void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const update = (changes: Partial<Draft>) => setDraft((current) => ({ ...current, ...changes }));
  const { saving, status, setStatus, save } = useSettingsSave(onSaved, (saved) =>
    setDraft(draftOf(saved)),
  );

  const submit = (event: { preventDefault(): void }) => {
    event.preventDefault();
    const rate = Number(draft.rate_limit_per_minute);
    if (!Number.isInteger(rate) || rate < 0 || rate > 1000) {
      setStatus({
        kind: "error",
        message: __("The rate limit must be a whole number from 0 to 1000.", "sluice"),
      });
      return;
    }
    const changes: SettingsChanges = {
      streaming_mode: draft.streaming_mode,
      rate_limit_per_minute: rate,
    };
    if (!settings.gateway_url_from_constant) changes.gateway_url = draft.gateway_url.trim();
    if (!settings.site_id_from_constant) changes.site_id = draft.site_id.trim();
    if (!settings.secret_from_constant && draft.secret.trim()) changes.secret = draft.secret.trim();
    if (settings.direct_url !== undefined && !settings.direct_url_from_constant) {
      changes.direct_url = draft.direct_url.trim();
    }
    void save(changes, __("Settings saved.", "sluice"));
  };

  const secretHelp = settings.secret_from_constant
    ? fromConstant("SLUICE_SITE_SECRET")
    : settings.secret_set
      ? __(
          "A secret is set. It is stored encrypted and never shown; type a new one to replace it.",
          "sluice",
        )
      : __("Not set. Paste the secret that `sluice site add` printed.", "sluice");

  return (
    <Card className="sluice-admin__panel">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Gateway and chat", "sluice")}</h2>
      </CardHeader>
      <form onSubmit={submit}>
        <CardBody className="sluice-admin__fields">
          {status ? (
            <Notice status={status.kind} isDismissible onRemove={() => setStatus(undefined)}>
              {status.message}
            </Notice>
          ) : null}
          {(settings.warnings ?? []).map((warning) => (
            <Notice
              key={warning.code}
              status="warning"
              isDismissible={false}
              className={`sluice-admin__warning sluice-admin__warning--${warning.code}`}
            >
              <p>{warning.message}</p>
              {warning.example ? <pre className="sluice-admin__code">{warning.example}</pre> : null}
            </Notice>
          ))}
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Gateway URL", "sluice")}
            type="url"
            placeholder="https://gateway.example.com"
            value={draft.gateway_url}
            disabled={settings.gateway_url_from_constant}
            help={
              settings.gateway_url_from_constant
                ? fromConstant("SLUICE_GATEWAY_URL")
                : __(
                    "Where the Sluice gateway answers, e.g. https://gateway.example.com. A gateway on this server or a private network (127.0.0.1, 10.x, …) is set in wp-config.php instead: define( 'SLUICE_GATEWAY_URL', 'http://127.0.0.1:8787' );",
                    "sluice",
                  )
            }
            onChange={(value) => update({ gateway_url: value })}
          />
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Site id", "sluice")}
            value={draft.site_id}
            disabled={settings.site_id_from_constant}
            help={
              settings.site_id_from_constant
                ? fromConstant("SLUICE_SITE_ID")
                : __(
                    "The id this site was registered with on the gateway (`sluice site add <id>`).",
                    "sluice",
                  )
            }
            onChange={(value) => update({ site_id: value })}
          />
          <div className="sluice-admin__secret">
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__("Shared secret", "sluice")}
              type="password"
              autoComplete="new-password"
              value={draft.secret}
              disabled={settings.secret_from_constant}
              placeholder={
                settings.secret_from_constant
                  ? __("from wp-config.php", "sluice")
                  : settings.secret_set
                    ? __("set", "sluice")
                    : ""
              }
              help={secretHelp}
              onChange={(value) => update({ secret: value })}
            />
            {settings.secret_set && !settings.secret_from_constant ? (
              <Button
                variant="link"
                isDestructive
                disabled={saving}
                onClick={() =>
                  void save({ secret: "" }, __("The stored secret was removed.", "sluice"))
                }
              >
                {__("Remove the stored secret", "sluice")}
              </Button>
            ) : null}
          </div>
          <div className="sluice-admin__direct-url">
            <TextControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__("Direct streaming URL", "sluice")}
              placeholder={__("empty: answers go through WordPress (relay)", "sluice")}
              value={draft.direct_url}
              disabled={settings.direct_url === undefined || settings.direct_url_from_constant}
              help={
                settings.direct_url_from_constant
                  ? fromConstant("SLUICE_DIRECT_URL")
                  : __(
                      "Where visitors' browsers reach the gateway, so that they stream answers from it and no PHP worker waits on the model: an https URL (the gateway must list this site's origin), or a path on this site that your web server passes to the gateway, e.g. /sluice-gateway. Direct mode starts once “Test streaming” below works with it.",
                      "sluice",
                    )
              }
              onChange={(value) => update({ direct_url: value })}
            />
            {settings.direct_url !== undefined && !settings.direct_url_from_constant ? (
              <Button variant="link" onClick={() => update({ direct_url: "/sluice-gateway" })}>
                {__("Use /sluice-gateway on this site", "sluice")}
              </Button>
            ) : null}
          </div>
          <RadioControl
            label={__("Streaming", "sluice")}
            selected={draft.streaming_mode}
            options={[
              {
                label: __("Automatic (stream, fall back to whole answers)", "sluice"),
                value: "auto",
              },
              { label: __("Whole answers only (buffered)", "sluice"), value: "buffered" },
              { label: __("Off (chat switched off)", "sluice"), value: "off" },
            ]}
            help={MODE_HELP[draft.streaming_mode]}
            onChange={(value) => update({ streaming_mode: value as StreamingMode })}
          />
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Rate limit (messages per visitor per minute)", "sluice")}
            type="number"
            min={0}
            max={1000}
            value={draft.rate_limit_per_minute}
            help={__("0 turns the limit off.", "sluice")}
            onChange={(value) => update({ rate_limit_per_minute: value })}
          />
        </CardBody>
        <SaveFooter label={__("Save", "sluice")} saving={saving} />
      </form>
    </Card>
  );
}
