import { Button, Card, CardBody, CardHeader, Notice } from "@wordpress/components";
import { __, sprintf } from "@wordpress/i18n";
import { Meter } from "../components/meter";
import type { CapStatus, PolicyReport } from "../lib/api";
import {
  adminLocale,
  formatDateTime,
  formatDay,
  formatMonth,
  formatPercent,
  formatUsd,
} from "../lib/format";
import { capTone } from "../lib/spend";

/** Spend today and this month against the caps, with the soft-threshold warning. */
export function SpendPanel({
  report,
  refreshing,
  onRefresh,
}: {
  report: PolicyReport;
  refreshing: boolean;
  onRefresh(): void;
}) {
  const threshold = report.effective.soft_threshold ?? 0.8;
  const locale = adminLocale();
  return (
    <Card className="sluice-admin__panel">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Spend against the caps", "sluice")}</h2>
        <Button
          variant="tertiary"
          size="compact"
          onClick={onRefresh}
          isBusy={refreshing}
          disabled={refreshing}
        >
          {__("Refresh", "sluice")}
        </Button>
      </CardHeader>
      <CardBody className="sluice-admin__fields">
        <div className="sluice-spend">
          <PeriodSpend
            title={__("Today", "sluice")}
            subtitle={formatDay(report.spend.today.period, locale, true)}
            capName={__("daily cap", "sluice")}
            status={report.spend.today}
            threshold={threshold}
            timezone={report.effective.timezone}
          />
          <PeriodSpend
            title={__("This month", "sluice")}
            subtitle={formatMonth(report.spend.month.period, locale)}
            capName={__("monthly cap", "sluice")}
            status={report.spend.month}
            threshold={threshold}
            timezone={report.effective.timezone}
          />
        </div>
        <p className="sluice-admin__detail">
          {sprintf(
            /* translators: 1: a time zone, e.g. Europe/Paris, 2: a percentage, e.g. 80% */
            __(
              "Days and months follow the %1$s calendar. Administrators are warned past %2$s of a cap.",
              "sluice",
            ),
            report.effective.timezone ?? "UTC",
            formatPercent(threshold, locale),
          )}
        </p>
      </CardBody>
    </Card>
  );
}

function PeriodSpend({
  title,
  subtitle,
  capName,
  status,
  threshold,
  timezone,
}: {
  title: string;
  subtitle: string;
  capName: string;
  status: CapStatus;
  threshold: number;
  timezone: string | null;
}) {
  const locale = adminLocale();
  const used = status.settled_usd + status.reserved_usd;
  const tone = capTone(status);
  const resets = formatDateTime(status.resets_at, locale);
  return (
    <section className="sluice-spend__period" aria-label={title}>
      <h3 className="sluice-spend__title">
        {title} <span className="sluice-spend__subtitle">{subtitle}</span>
      </h3>
      <p className="sluice-spend__amount">
        {status.cap_usd === null
          ? sprintf(
              /* translators: %s: amount spent, e.g. $1.20 */
              __("%s — no cap", "sluice"),
              formatUsd(used, locale),
            )
          : sprintf(
              /* translators: 1: amount spent, e.g. $1.20, 2: the cap, e.g. $5.00, 3: percentage, e.g. 24% */
              __("%1$s of %2$s (%3$s)", "sluice"),
              formatUsd(used, locale),
              formatUsd(status.cap_usd, locale),
              formatPercent(status.used_fraction ?? 0, locale),
            )}
      </p>
      {status.cap_usd !== null ? (
        <Meter
          fraction={status.used_fraction ?? 0}
          tone={tone}
          label={sprintf(
            /* translators: %s: "daily cap" or "monthly cap" */
            __("Share of the %s used", "sluice"),
            capName,
          )}
          valueText={formatPercent(status.used_fraction ?? 0, locale)}
        />
      ) : null}
      {status.reserved_usd > 0 ? (
        <p className="sluice-admin__detail">
          {sprintf(
            /* translators: %s: an amount, e.g. $0.02 */
            __("Includes %s held for answers in progress.", "sluice"),
            formatUsd(status.reserved_usd, locale),
          )}
        </p>
      ) : null}
      {tone === "reached" ? (
        <Notice status="error" isDismissible={false}>
          {sprintf(
            /* translators: 1: "daily cap" or "monthly cap", 2: when it resets (date and time) */
            __(
              "The %1$s is reached: the chat answers no more questions until it resets (%2$s).",
              "sluice",
            ),
            capName,
            resets,
          )}
        </Notice>
      ) : null}
      {tone === "warning" ? (
        <Notice status="warning" isDismissible={false}>
          {sprintf(
            /* translators: 1: a percentage, e.g. 80%, 2: "daily cap" or "monthly cap", 3: when it resets */
            __("Past the warning threshold of %1$s of the %2$s. It resets %3$s.", "sluice"),
            formatPercent(threshold, adminLocale()),
            capName,
            resets,
          )}
        </Notice>
      ) : null}
      {tone === "normal" && status.cap_usd !== null ? (
        <p className="sluice-admin__detail">
          {sprintf(
            /* translators: 1: date and time, 2: time zone */
            __("Resets %1$s (%2$s calendar).", "sluice"),
            resets,
            timezone ?? "UTC",
          )}
        </p>
      ) : null}
    </section>
  );
}
