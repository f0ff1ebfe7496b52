import { Notice, Spinner } from "@wordpress/components";
import { useEffect, useState } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { errorMessage, fetchSettings, type SluiceSettings } from "./lib/api";
import { ConnectionPanel } from "./panels/connection-panel";
import { SettingsPanel } from "./panels/settings-panel";
import { StreamingPanel } from "./panels/streaming-panel";

type Loaded =
  | { state: "loading" }
  | { state: "ready"; settings: SluiceSettings }
  | { state: "failed"; message: string };

/**
 * Settings → Sluice. Each panel is one card; later panels (spend caps, the spend
 * dashboard) slot into the list below.
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
          "Connect this site to its Sluice gateway and check that answers can stream through this host.",
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
          <SettingsPanel
            settings={loaded.settings}
            onSaved={(settings) => setLoaded({ state: "ready", settings })}
          />
          <ConnectionPanel />
          <StreamingPanel />
        </div>
      ) : null}
    </div>
  );
}
