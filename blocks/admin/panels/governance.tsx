import { Button, Notice, Spinner } from "@wordpress/components";
import { useCallback, useEffect, useState } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { errorMessage, fetchPolicy, type PolicyReport } from "../lib/api";
import { AllowlistPanel } from "./allowlist-panel";
import { CapsPanel } from "./caps-panel";
import { RequestsPanel } from "./requests-panel";
import { SpendPanel } from "./spend-panel";
import { UsagePanels } from "./usage-panel";

type Loaded =
  | { state: "loading" }
  | { state: "ready"; report: PolicyReport }
  | { state: "failed"; message: string };

/**
 * Spend governance: spend against the caps, daily spend, spend by model, recent
 * requests, then the caps and the model allowlist. One GET /policy feeds the
 * spend and the two forms; a save hands the gateway's new report to all three.
 */
export function Governance() {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  const [refreshing, setRefreshing] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);

  const load = useCallback(async () => {
    setRefreshing(true);
    try {
      setLoaded({ state: "ready", report: await fetchPolicy() });
    } catch (error) {
      setLoaded({ state: "failed", message: await errorMessage(error) });
    } finally {
      setRefreshing(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const refresh = () => {
    setReloadKey((key) => key + 1);
    void load();
  };

  const heading = (
    <h2 className="sluice-admin__section" id="sluice-spend">
      {__("Spend", "sluice")}
    </h2>
  );
  if (loaded.state === "loading") {
    return (
      <>
        {heading}
        <p className="sluice-admin__loading">
          <Spinner /> {__("Loading spend and limits…", "sluice")}
        </p>
      </>
    );
  }
  if (loaded.state === "failed") {
    return (
      <>
        {heading}
        <Notice status="error" isDismissible={false}>
          <p>
            {__("Spend and limits could not be loaded from the gateway:", "sluice")}{" "}
            {loaded.message}
          </p>
          <p>
            <Button variant="secondary" size="compact" onClick={refresh} isBusy={refreshing}>
              {__("Try again", "sluice")}
            </Button>
          </p>
        </Notice>
      </>
    );
  }
  const saved = (report: PolicyReport) => setLoaded({ state: "ready", report });
  return (
    <>
      {heading}
      <SpendPanel report={loaded.report} refreshing={refreshing} onRefresh={refresh} />
      <UsagePanels reloadKey={reloadKey} />
      <RequestsPanel reloadKey={reloadKey} />
      <h2 className="sluice-admin__section" id="sluice-limits">
        {__("Limits", "sluice")}
      </h2>
      <CapsPanel report={loaded.report} onSaved={saved} />
      <AllowlistPanel report={loaded.report} onSaved={saved} />
    </>
  );
}
