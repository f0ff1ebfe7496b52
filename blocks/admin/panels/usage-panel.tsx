import { Card, CardBody, CardHeader, Notice, SelectControl, Spinner } from "@wordpress/components";
import { useEffect, useState } from "@wordpress/element";
import { __, _n, sprintf } from "@wordpress/i18n";
import type { ReactNode } from "react";
import { BarChart, type ChartPoint } from "../components/bar-chart";
import { ModelName } from "../components/model-name";
import { errorMessage, fetchUsage, type UsageReport } from "../lib/api";
import { adminLocale, formatDay, formatInteger, formatPercent, formatUsd } from "../lib/format";
import { shareOf } from "../lib/spend";

type Loaded =
  | { state: "loading" }
  | { state: "ready"; usage: UsageReport }
  | { state: "failed"; message: string };

const RANGES = [7, 30, 90] as const;

/** Daily spend as a bar chart, and spend by model, over the last 7, 30 or 90 days. */
export function UsagePanels({ reloadKey }: { reloadKey: number }) {
  const [days, setDays] = useState<number>(30);
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });

  useEffect(() => {
    let current = true;
    setLoaded((previous) => (previous.state === "ready" ? previous : { state: "loading" }));
    fetchUsage(days).then(
      (usage) => current && setLoaded({ state: "ready", usage }),
      async (error: unknown) => {
        const message = await errorMessage(error);
        if (current) setLoaded({ state: "failed", message });
      },
    );
    return () => {
      current = false;
    };
  }, [days, reloadKey]);

  const rangePicker = (
    <SelectControl
      __next40pxDefaultSize
      __nextHasNoMarginBottom
      className="sluice-admin__range"
      label={__("Period", "sluice")}
      hideLabelFromVision
      value={String(days)}
      options={RANGES.map((count) => ({
        value: String(count),
        /* translators: %d: number of days */
        label: sprintf(_n("Last %d day", "Last %d days", count, "sluice"), count),
      }))}
      onChange={(value) => setDays(Number(value))}
    />
  );

  return (
    <>
      <Card className="sluice-admin__panel">
        <CardHeader>
          <h2 className="sluice-admin__panel-title">{__("Daily spend", "sluice")}</h2>
          {rangePicker}
        </CardHeader>
        <CardBody className="sluice-admin__fields">
          <WhenLoaded loaded={loaded} show={(usage) => <DailyChart usage={usage} />} />
        </CardBody>
      </Card>
      <Card className="sluice-admin__panel">
        <CardHeader>
          <h2 className="sluice-admin__panel-title">{__("Spend by model", "sluice")}</h2>
        </CardHeader>
        <CardBody className="sluice-admin__fields">
          <WhenLoaded loaded={loaded} show={(usage) => <ByModel usage={usage} />} />
        </CardBody>
      </Card>
    </>
  );
}

/** The spinner, the error, or the report, as `loaded` says. */
function WhenLoaded({ loaded, show }: { loaded: Loaded; show: (usage: UsageReport) => ReactNode }) {
  if (loaded.state === "loading") return <Spinner />;
  if (loaded.state === "failed") {
    return (
      <Notice status="error" isDismissible={false}>
        {loaded.message}
      </Notice>
    );
  }
  return show(loaded.usage);
}

function DailyChart({ usage }: { usage: UsageReport }) {
  const locale = adminLocale();
  const money = (value: number) => formatUsd(value, locale);
  const points: ChartPoint[] = usage.by_day.map((day) => ({
    label: formatDay(day.day, locale),
    fullLabel: formatDay(day.day, locale, true),
    value: day.cost_usd,
    details: [formatInteger(day.requests, locale)],
  }));
  const busiest = usage.by_day.reduce<(typeof usage.by_day)[number] | undefined>(
    (best, day) => (best === undefined || day.cost_usd > best.cost_usd ? day : best),
    undefined,
  );
  const summary =
    busiest && busiest.cost_usd > 0
      ? sprintf(
          /* translators: 1: number of days, 2: total spend, 3: number of requests, 4: highest daily spend, 5: that day */
          __(
            "Spend per day over the last %1$d days: %2$s in all for %3$s requests; the most, %4$s, on %5$s.",
            "sluice",
          ),
          usage.by_day.length,
          money(usage.total.cost_usd),
          formatInteger(usage.total.requests, locale),
          money(busiest.cost_usd),
          formatDay(busiest.day, locale, true),
        )
      : sprintf(
          /* translators: %d: number of days */
          __("Nothing was spent in the last %d days.", "sluice"),
          usage.by_day.length,
        );
  return (
    <>
      <p className="sluice-usage__total">
        {sprintf(
          /* translators: 1: total spend, 2: number of requests */
          _n("%1$s for %2$s request", "%1$s for %2$s requests", usage.total.requests, "sluice"),
          money(usage.total.cost_usd),
          formatInteger(usage.total.requests, locale),
        )}
        <span className="sluice-admin__detail">
          {" "}
          {sprintf(
            /* translators: %s: a time zone, e.g. Europe/Paris */
            __("(days in %s)", "sluice"),
            usage.timezone,
          )}
        </span>
      </p>
      <BarChart
        points={points}
        title={__("Daily spend", "sluice")}
        summary={summary}
        formatValue={money}
        valueHeading={__("Spend", "sluice")}
        detailHeadings={[__("Requests", "sluice")]}
      />
    </>
  );
}

function ByModel({ usage }: { usage: UsageReport }) {
  const locale = adminLocale();
  if (usage.by_model.length === 0) {
    return <p className="sluice-admin__intro">{__("No requests in this period.", "sluice")}</p>;
  }
  return (
    <div className="sluice-table-scroll">
      <table className="widefat striped sluice-by-model">
        <thead>
          <tr>
            <th scope="col">{__("Model", "sluice")}</th>
            <th scope="col" className="num">
              {__("Requests", "sluice")}
            </th>
            <th scope="col" className="num">
              {__("Input tokens", "sluice")}
            </th>
            <th scope="col" className="num">
              {__("Output tokens", "sluice")}
            </th>
            <th scope="col" className="num">
              {__("Cost", "sluice")}
            </th>
            <th scope="col" className="num">
              {__("Share", "sluice")}
            </th>
          </tr>
        </thead>
        <tbody>
          {usage.by_model.map((row) => (
            <tr key={`${row.provider}/${row.model}`}>
              <th scope="row">
                <ModelName provider={row.provider} model={row.model} />
              </th>
              <td className="num">{formatInteger(row.requests, locale)}</td>
              <td className="num">{formatInteger(row.input_tokens, locale)}</td>
              <td className="num">{formatInteger(row.output_tokens, locale)}</td>
              <td className="num">{formatUsd(row.cost_usd, locale)}</td>
              <td className="num">
                {formatPercent(shareOf(row.cost_usd, usage.total.cost_usd), locale)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{__("Total", "sluice")}</th>
            <td className="num">{formatInteger(usage.total.requests, locale)}</td>
            <td className="num">{formatInteger(usage.total.input_tokens, locale)}</td>
            <td className="num">{formatInteger(usage.total.output_tokens, locale)}</td>
            <td className="num">{formatUsd(usage.total.cost_usd, locale)}</td>
            <td className="num" />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
