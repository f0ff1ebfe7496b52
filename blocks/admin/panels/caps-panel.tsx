import {
  Card,
  CardBody,
  CardHeader,
  Notice,
  RadioControl,
  SelectControl,
  TextControl,
} from "@wordpress/components";
import { useMemo, useState } from "@wordpress/element";
import { __, sprintf } from "@wordpress/i18n";
import { SaveFooter } from "../components/save-footer";
import { errorMessage, type PolicyReport, savePolicy } from "../lib/api";
import { adminLocale, formatPercent, formatUsd } from "../lib/format";
import {
  CAP_FIELDS,
  type CapField,
  type CapsDraft,
  capLabel,
  changesFromDraft,
  draftFromPolicy,
} from "../lib/policy-draft";

type Status = { kind: "success" | "error"; message: string } | undefined;

function capHelp(field: CapField): string {
  switch (field) {
    case "day_usd":
      return __("All chat on this site, per day.", "sluice");
    case "month_usd":
      return __("All chat on this site, per calendar month.", "sluice");
    case "visitor_day_usd":
      return __("What one visitor may spend per day.", "sluice");
    default:
      return __(
        "The most one answer may cost; longer answers are cut short or go to a cheaper model.",
        "sluice",
      );
  }
}

function timeZones(current: string): string[] {
  const zones =
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const all = new Set(["UTC", ...zones]);
  if (current) all.add(current);
  return [...all].sort();
}

/** The site's caps (day, month, per visitor, per request), warning threshold and time zone. */
export function CapsPanel({
  report,
  onSaved,
}: {
  report: PolicyReport;
  onSaved(report: PolicyReport): void;
}) {
  const [draft, setDraft] = useState<CapsDraft>(() => draftFromPolicy(report));
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<Status>();
  const zones = useMemo(() => timeZones(draft.timezone), [draft.timezone]);
  const locale = adminLocale();
  const operator = report.operator;

  const setCap = (field: CapField, value: string) =>
    setDraft((current) => ({ ...current, caps: { ...current.caps, [field]: value } }));

  const submit = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    const result = changesFromDraft(draft);
    if (!result.ok) {
      setStatus({ kind: "error", message: result.message });
      return;
    }
    setSaving(true);
    setStatus(undefined);
    try {
      const saved = await savePolicy(result.changes);
      onSaved(saved);
      setDraft(draftFromPolicy(saved));
      setStatus({ kind: "success", message: __("Caps saved.", "sluice") });
    } catch (error) {
      setStatus({ kind: "error", message: await errorMessage(error) });
    } finally {
      setSaving(false);
    }
  };

  const wordpressZone = report.wordpress_timezone;
  const operatorThreshold = operator.soft_threshold;

  return (
    <Card className="sluice-admin__panel">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Caps", "sluice")}</h2>
      </CardHeader>
      <form onSubmit={(event) => void submit(event)}>
        <CardBody className="sluice-admin__fields">
          <p className="sluice-admin__intro">
            {__(
              "Amounts in US dollars. Leave a cap blank for none on this site's side. The gateway refuses a question when answering it could pass a cap.",
              "sluice",
            )}
          </p>
          {status ? (
            <Notice status={status.kind} isDismissible onRemove={() => setStatus(undefined)}>
              {status.message}
            </Notice>
          ) : null}
          <div className="sluice-caps">
            {CAP_FIELDS.map((field) => {
              const limit = operator[field];
              const effective = report.effective[field];
              return (
                <TextControl
                  key={field}
                  __next40pxDefaultSize
                  __nextHasNoMarginBottom
                  label={sprintf(
                    /* translators: %s: a cap's name, e.g. "Daily cap" */
                    __("%s (USD)", "sluice"),
                    capLabel(field),
                  )}
                  type="number"
                  min={0}
                  step="any"
                  inputMode="decimal"
                  placeholder={limit === null ? __("No cap", "sluice") : String(limit)}
                  value={draft.caps[field]}
                  onChange={(value) => setCap(field, value)}
                  help={
                    <>
                      {capHelp(field)}{" "}
                      {limit === null
                        ? __("The gateway's operator sets no maximum.", "sluice")
                        : sprintf(
                            /* translators: %s: an amount, e.g. $5.00 */
                            __("At most %s (the gateway operator's cap).", "sluice"),
                            formatUsd(limit, locale),
                          )}{" "}
                      {effective === null
                        ? __("In force: none.", "sluice")
                        : sprintf(
                            /* translators: %s: an amount, e.g. $5.00 */
                            __("In force: %s.", "sluice"),
                            formatUsd(effective, locale),
                          )}
                    </>
                  }
                />
              );
            })}
          </div>
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Warn administrators at (% of a cap)", "sluice")}
            type="number"
            min={1}
            max={100}
            step="any"
            placeholder={String(Math.round((operatorThreshold ?? 0.8) * 100))}
            value={draft.softThreshold}
            onChange={(value) => setDraft((current) => ({ ...current, softThreshold: value }))}
            help={sprintf(
              /* translators: %s: a percentage, e.g. 80% */
              __(
                "Past this share of the daily or monthly cap, WordPress's admin pages show a warning. Blank: %s.",
                "sluice",
              ),
              formatPercent(operatorThreshold ?? 0.8, locale),
            )}
          />
          <RadioControl
            label={__("Time zone of the days and months", "sluice")}
            selected={draft.timezoneMode}
            options={[
              {
                value: "wordpress",
                label: wordpressZone
                  ? sprintf(
                      /* translators: %s: WordPress's time zone, e.g. Europe/Paris */
                      __("WordPress's time zone (%s)", "sluice"),
                      wordpressZone,
                    )
                  : __(
                      "WordPress's time zone (a UTC offset the gateway cannot use: the gateway's default applies)",
                      "sluice",
                    ),
              },
              { value: "custom", label: __("Another time zone", "sluice") },
            ]}
            onChange={(value) =>
              setDraft((current) => ({
                ...current,
                timezoneMode: value === "custom" ? "custom" : "wordpress",
                timezone:
                  value === "custom" && !current.timezone
                    ? (wordpressZone ?? "UTC")
                    : current.timezone,
              }))
            }
            help={__(
              "Caps reset at midnight and on the first of the month in this time zone.",
              "sluice",
            )}
          />
          {draft.timezoneMode === "custom" ? (
            <SelectControl
              __next40pxDefaultSize
              __nextHasNoMarginBottom
              label={__("Time zone", "sluice")}
              value={draft.timezone}
              options={zones.map((zone) => ({ value: zone, label: zone }))}
              onChange={(value) => setDraft((current) => ({ ...current, timezone: value }))}
            />
          ) : null}
        </CardBody>
        <SaveFooter label={__("Save caps", "sluice")} saving={saving} />
      </form>
    </Card>
  );
}
