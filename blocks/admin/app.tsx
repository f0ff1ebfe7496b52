import { Notice, Spinner } from "@wordpress/components";
import { useEffect, useState } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { errorMessage, fetchSettings, type SluiceSettings } from "./lib/api";
import { ConnectionPanel } from "./panels/connection-panel";
import { Governance } from "./panels/governance";
import { KeysPanel } from "./panels/keys-panel";
import { SettingsPanel } from "./panels/settings-panel";
import { StreamingPanel } from "./panels/streaming-panel";
import { TranscriptsPanel } from "./panels/transcripts-panel";
import { TurnstilePanel } from "./panels/turnstile-panel";

type Loaded =
  | { state: "loading" }
  | { state: "ready"; settings: SluiceSettings }
  | { state: "failed"; message: string };

/** Whether the plugin can reach a gateway: URL, site id and secret are all set. */
function isConnected(settings: SluiceSettings): boolean {
  return settings.gateway_url !== "" && settings.site_id !== "" && settings.secret_set;
}

/**
 * Settings → Sluice. Each panel is one card: the connection and streaming
 * settings, then (once the site is connected) spend and limits.
 */
export function AdminApp() {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });

  useEffect(() => {
    let current = true;
    fetchSettings().then(
      (settings) => current && setLoaded({ state: "ready", settings }),
      async (error: unknown) => {
        const message = await errorMessage(error);
        if (current) setLoaded({ state: "failed", message });
      },
    );
    return () => {
      current = false;
    };
  }, []);

  return (
    <div className="sluice-admin">
      <h1 className="sluice-admin__title">{__("Sluice", "sluice")}</h1>
      <p className="sluice-admin__lede">
        {__(
          "What the chat spends, its caps and models, and this site's connection to its Sluice gateway.",
          "sluice",
        )}
      </p>
      {loaded.state === "loading" ? (
        <p className="sluice-admin__loading">
          <Spinner /> {__("Loading settings…", "sluice")}
        </p>
      ) : null}
      {loaded.state === "failed" ? (
        <Notice status="error" isDismissible={false}>
          {__("The settings could not be loaded:", "sluice")} {loaded.message}
        </Notice>
      ) : null}
      {loaded.state === "ready" ? (
        <div className="sluice-admin__panels">
          {isConnected(loaded.settings) ? (
            <nav className="sluice-admin__jump" aria-label={__("Sections", "sluice")}>
              <a href="#sluice-connection">{__("Connection", "sluice")}</a>
              <a href="#sluice-spend">{__("Spend", "sluice")}</a>
              <a href="#sluice-limits">{__("Limits", "sluice")}</a>
            </nav>
          ) : null}
          <h2 className="sluice-admin__section" id="sluice-connection">
            {__("Connection", "sluice")}
          </h2>
          <SettingsPanel
            settings={loaded.settings}
            onSaved={(settings) => setLoaded({ state: "ready", settings })}
          />
          <ConnectionPanel />
          <StreamingPanel
            settings={loaded.settings}
            onTransport={(transport) =>
              setLoaded((current) =>
                current.state === "ready"
                  ? { state: "ready", settings: { ...current.settings, ...transport } }
                  : current,
              )
            }
          />
          {loaded.settings.turnstile_secret_set !== undefined ? (
            <TurnstilePanel
              settings={loaded.settings}
              onSaved={(settings) => setLoaded({ state: "ready", settings })}
            />
          ) : null}
          {isConnected(loaded.settings) ? (
            <KeysPanel
              key={`${loaded.settings.gateway_url} ${loaded.settings.site_id} ${loaded.settings.secret_set}`}
            />
          ) : null}
          {isConnected(loaded.settings) ? (
            <>
              <Governance
                key={`${loaded.settings.gateway_url} ${loaded.settings.site_id} ${loaded.settings.secret_set}`}
              />
              <TranscriptsPanel
                key={`transcripts ${loaded.settings.gateway_url} ${loaded.settings.site_id}`}
              />
            </>
          ) : (
            <Notice status="info" isDismissible={false}>
              {__(
                "Spend, caps and the model allowlist appear here once the site is connected to its gateway.",
                "sluice",
              )}
            </Notice>
          )}
        </div>
      ) : null}
    </div>
  );
}
