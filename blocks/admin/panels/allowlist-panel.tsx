import {
  Button,
  Card,
  CardBody,
  CardHeader,
  CheckboxControl,
  Notice,
  RadioControl,
  SearchControl,
  SelectControl,
  Spinner,
  ToggleControl,
} from "@wordpress/components";
import { useEffect, useMemo, useState } from "@wordpress/element";
import { __, _n, sprintf } from "@wordpress/i18n";
import { SaveFooter } from "../components/save-footer";
import {
  type CatalogModel,
  errorMessage,
  fetchCatalog,
  type PolicyReport,
  savePolicy,
} from "../lib/api";
import { adminLocale, formatInteger, formatPrice } from "../lib/format";
import {
  allowlistToSend,
  filterCatalog,
  operatorAllows,
  providersOf,
  toggleChosen,
} from "../lib/model-filter";

/** Rows drawn at once; the search narrows the rest down. */
const SHOWN = 150;

type Catalog =
  | { state: "loading" }
  | { state: "ready"; models: CatalogModel[] }
  | { state: "failed"; message: string };

type Status = { kind: "success" | "error" | "warning"; message: string } | undefined;

/** The site's model allowlist, chosen from the gateway's catalogue with prices. */
export function AllowlistPanel({
  report,
  onSaved,
}: {
  report: PolicyReport;
  onSaved(report: PolicyReport): void;
}) {
  const [catalog, setCatalog] = useState<Catalog>({ state: "loading" });
  const [mode, setMode] = useState<"all" | "list">(
    report.site_policy.models === null ? "all" : "list",
  );
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(report.site_policy.models ?? []));
  const [search, setSearch] = useState("");
  const [provider, setProvider] = useState("");
  const [chosenOnly, setChosenOnly] = useState(false);
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<Status>();
  const locale = adminLocale();
  const operatorModels = report.operator.models;

  useEffect(() => {
    let current = true;
    fetchCatalog().then(
      (models) => current && setCatalog({ state: "ready", models }),
      async (error: unknown) => {
        const message = await errorMessage(error);
        if (current) setCatalog({ state: "failed", message });
      },
    );
    return () => {
      current = false;
    };
  }, []);

  const models = catalog.state === "ready" ? catalog.models : [];
  const providers = useMemo(() => providersOf(models), [models]);
  const matching = useMemo(
    () => filterCatalog(models, { search, provider, chosenOnly }, chosen),
    [models, search, provider, chosenOnly, chosen],
  );
  const shown = matching.slice(0, SHOWN);
  const selectable = matching.filter((model) => operatorAllows(operatorModels, model.id));

  const save = async () => {
    setSaving(true);
    setStatus(undefined);
    try {
      const saved = await savePolicy({ models: allowlistToSend(mode, chosen) });
      onSaved(saved);
      setChosen(new Set(saved.site_policy.models ?? []));
      setMode(saved.site_policy.models === null ? "all" : "list");
      setStatus(
        saved.effective.models !== null && saved.effective.models.length === 0
          ? {
              kind: "warning",
              message: __(
                "Saved. No model is allowed now: the Chat blocks cannot answer until one is.",
                "sluice",
              ),
            }
          : { kind: "success", message: __("Model allowlist saved.", "sluice") },
      );
    } catch (error) {
      setStatus({ kind: "error", message: await errorMessage(error) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card className="sluice-admin__panel">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Model allowlist", "sluice")}</h2>
      </CardHeader>
      <CardBody className="sluice-admin__fields">
        {status ? (
          <Notice status={status.kind} isDismissible onRemove={() => setStatus(undefined)}>
            {status.message}
          </Notice>
        ) : null}
        {operatorModels !== null ? (
          <p className="sluice-admin__detail">
            {sprintf(
              /* translators: %d: number of models */
              _n(
                "The gateway's operator allows %d model; only it can be chosen.",
                "The gateway's operator allows %d models; only those can be chosen.",
                operatorModels.length,
                "sluice",
              ),
              operatorModels.length,
            )}
          </p>
        ) : null}
        <RadioControl
          label={__("Which models may the Chat blocks use?", "sluice")}
          selected={mode}
          options={[
            {
              value: "all",
              label:
                operatorModels === null
                  ? __("Every model the gateway offers (no allowlist)", "sluice")
                  : __(
                      "Every model the operator allows (no allowlist of this site's own)",
                      "sluice",
                    ),
            },
            { value: "list", label: __("Only the models chosen below", "sluice") },
          ]}
          onChange={(value) => setMode(value === "list" ? "list" : "all")}
        />
        {mode === "list" ? (
          <>
            <div className="sluice-allowlist__filters">
              <SearchControl
                __nextHasNoMarginBottom
                label={__("Search models", "sluice")}
                value={search}
                onChange={(value: string) => setSearch(value)}
              />
              <SelectControl
                __next40pxDefaultSize
                __nextHasNoMarginBottom
                label={__("Provider", "sluice")}
                value={provider}
                options={[
                  { value: "", label: __("All providers", "sluice") },
                  ...providers.map((id) => ({ value: id, label: id })),
                ]}
                onChange={(value) => setProvider(value)}
              />
              <ToggleControl
                __nextHasNoMarginBottom
                label={__("Chosen only", "sluice")}
                checked={chosenOnly}
                onChange={(value) => setChosenOnly(value)}
              />
            </div>
            <div className="sluice-allowlist__summary">
              <span aria-live="polite">
                {sprintf(
                  /* translators: 1: number of chosen models, 2: number of models shown by the filter */
                  _n(
                    "%1$s chosen · %2$s model matches",
                    "%1$s chosen · %2$s models match",
                    matching.length,
                    "sluice",
                  ),
                  formatInteger(chosen.size, locale),
                  formatInteger(matching.length, locale),
                )}
              </span>
              <Button
                variant="link"
                disabled={selectable.length === 0}
                onClick={() =>
                  setChosen(
                    toggleChosen(
                      chosen,
                      selectable.map((model) => model.id),
                      true,
                    ),
                  )
                }
              >
                {__("Choose all matching", "sluice")}
              </Button>
              <Button
                variant="link"
                disabled={chosen.size === 0}
                onClick={() =>
                  setChosen(
                    toggleChosen(
                      chosen,
                      matching.map((model) => model.id),
                      false,
                    ),
                  )
                }
              >
                {__("Clear matching", "sluice")}
              </Button>
            </div>
            {catalog.state === "loading" ? <Spinner /> : null}
            {catalog.state === "failed" ? (
              <Notice status="error" isDismissible={false}>
                {catalog.message}
              </Notice>
            ) : null}
            {catalog.state === "ready" ? (
              <ul className="sluice-allowlist__list" aria-label={__("Models", "sluice")}>
                {shown.map((model) => {
                  const allowed = operatorAllows(operatorModels, model.id);
                  return (
                    <li key={model.id} className="sluice-allowlist__item">
                      <CheckboxControl
                        __nextHasNoMarginBottom
                        label={model.id}
                        checked={chosen.has(model.id)}
                        disabled={!allowed && !chosen.has(model.id)}
                        onChange={(on) => setChosen(toggleChosen(chosen, [model.id], on))}
                      />
                      <span className="sluice-allowlist__price">
                        {sprintf(
                          /* translators: 1: price of a million input tokens, 2: of a million output tokens */
                          __("%1$s in · %2$s out per 1M tokens", "sluice"),
                          formatPrice(model.input_usd_per_million, locale),
                          formatPrice(model.output_usd_per_million, locale),
                        )}
                        {model.context_window
                          ? ` · ${sprintf(
                              /* translators: %s: number of tokens */
                              __("%s context", "sluice"),
                              formatInteger(model.context_window, locale),
                            )}`
                          : ""}
                        {allowed ? "" : ` · ${__("not allowed by the operator", "sluice")}`}
                      </span>
                    </li>
                  );
                })}
                {matching.length > shown.length ? (
                  <li className="sluice-admin__detail">
                    {sprintf(
                      /* translators: %s: number of models not shown */
                      __("%s more: narrow the search to see them.", "sluice"),
                      formatInteger(matching.length - shown.length, locale),
                    )}
                  </li>
                ) : null}
              </ul>
            ) : null}
          </>
        ) : null}
      </CardBody>
      <SaveFooter
        label={__("Save allowlist", "sluice")}
        saving={saving}
        onSave={() => void save()}
      />
    </Card>
  );
}
