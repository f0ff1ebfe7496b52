import { Button, Card, CardBody, CardFooter, CardHeader, Notice } from "@wordpress/components";
import type { Field, View } from "@wordpress/dataviews/wp";
import { DataViews } from "@wordpress/dataviews/wp";
import { useEffect, useMemo, useRef, useState } from "@wordpress/element";
import { __, sprintf } from "@wordpress/i18n";
import { ModelName } from "../components/model-name";
import { errorMessage, fetchRequests, fetchRequestsCsv, type RequestRow } from "../lib/api";
import {
  adminLocale,
  formatDateTime,
  formatDuration,
  formatTokens,
  formatUsd,
} from "../lib/format";
import { pageCount, pageQuery } from "../lib/request-pages";
import { sourceLabel } from "../lib/source-label";

const PER_PAGE_SIZES = [25, 50, 100];

const INITIAL_VIEW: View = {
  type: "table",
  page: 1,
  perPage: 25,
  fields: [
    "started_at",
    "source",
    "model",
    "tokens",
    "cost_usd",
    "latency_ms",
    "finish_reason",
    "status",
  ],
  layout: { density: "compact" },
};

function statusLabel(status: string): string {
  switch (status) {
    case "ok":
      return __("Answered", "sluice");
    case "aborted":
      return __("Stopped", "sluice");
    case "error":
      return __("Failed", "sluice");
    case "interrupted":
      return __("Interrupted", "sluice");
    default:
      return status;
  }
}

function requestFields(): Field<RequestRow>[] {
  const locale = adminLocale();
  return [
    {
      id: "started_at",
      label: __("Time", "sluice"),
      enableSorting: false,
      enableHiding: false,
      render: ({ item }) => (
        <time dateTime={item.started_at}>{formatDateTime(item.started_at, locale)}</time>
      ),
    },
    {
      id: "source",
      label: __("Source", "sluice"),
      enableSorting: false,
      getValue: ({ item }) => item.source ?? "",
      render: ({ item }) => <span title={item.source ?? ""}>{sourceLabel(item.source)}</span>,
    },
    {
      id: "model",
      label: __("Model", "sluice"),
      enableSorting: false,
      getValue: ({ item }) => `${item.provider}/${item.model}`,
      render: ({ item }) => (
        <span className="sluice-requests__model">
          <ModelName provider={item.provider} model={item.model} />
          {item.degraded_from ? (
            <span className="sluice-admin__detail">
              {" "}
              {sprintf(
                /* translators: %s: the model that was asked for, e.g. openai/gpt-4o */
                __("(instead of %s: budget)", "sluice"),
                item.degraded_from,
              )}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      id: "tokens",
      label: __("Tokens in → out", "sluice"),
      enableSorting: false,
      getValue: ({ item }) => item.input_tokens + item.output_tokens,
      render: ({ item }) => <>{formatTokens(item.input_tokens, item.output_tokens, locale)}</>,
    },
    {
      id: "cost_usd",
      label: __("Cost", "sluice"),
      enableSorting: false,
      render: ({ item }) => (
        <>
          {formatUsd(item.cost_usd, locale)}
          {item.priced ? null : (
            <span className="sluice-admin__detail"> {__("(unpriced model)", "sluice")}</span>
          )}
        </>
      ),
    },
    {
      id: "latency_ms",
      label: __("Latency", "sluice"),
      enableSorting: false,
      render: ({ item }) => <>{formatDuration(item.latency_ms, locale)}</>,
    },
    {
      id: "finish_reason",
      label: __("Finish reason", "sluice"),
      enableSorting: false,
      getValue: ({ item }) => item.finish_reason ?? item.error_code ?? "",
      render: ({ item }) => <>{item.finish_reason ?? item.error_code ?? "—"}</>,
    },
    {
      id: "status",
      label: __("Status", "sluice"),
      enableSorting: false,
      render: ({ item }) => (
        <span className={`sluice-status sluice-status--${item.status}`}>
          {statusLabel(item.status)}
        </span>
      ),
    },
  ];
}

/** The site's recent requests (DataViews, a page at a time) and the CSV export. */
export function RequestsPanel({ reloadKey }: { reloadKey: number }) {
  const [view, setView] = useState<View>(INITIAL_VIEW);
  const [rows, setRows] = useState<RequestRow[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [failure, setFailure] = useState<string>();
  const [exporting, setExporting] = useState(false);
  const [exportFailure, setExportFailure] = useState<string>();
  const fields = useMemo(requestFields, []);
  /** Page 1's `as_of`: the moment every later page is read at. */
  const asOf = useRef<number | undefined>(undefined);

  const page = view.page ?? 1;
  const perPage = view.perPage ?? 25;

  useEffect(() => {
    let current = true;
    const query = pageQuery(page, perPage, asOf.current);
    if (query === null) {
      setView((previous) => ({ ...previous, page: 1 }));
      return;
    }
    setLoading(true);
    fetchRequests(perPage, query).then(
      (result) => {
        if (!current) return;
        if (page === 1) asOf.current = result.as_of;
        setRows(result.data);
        setTotal(result.total);
        setFailure(undefined);
        setLoading(false);
      },
      async (error: unknown) => {
        const message = await errorMessage(error);
        if (!current) return;
        setFailure(message);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [page, perPage, reloadKey]);

  const changeView = (next: View) => {
    // Another page size starts over from the newest requests.
    setView((next.perPage ?? 25) !== perPage ? { ...next, page: 1 } : next);
  };

  const exportCsv = async () => {
    setExporting(true);
    setExportFailure(undefined);
    try {
      const { blob, filename } = await fetchRequestsCsv();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setExportFailure(await errorMessage(error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <Card className="sluice-admin__panel sluice-requests">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Recent requests", "sluice")}</h2>
        <Button
          __next40pxDefaultSize
          variant="secondary"
          onClick={() => void exportCsv()}
          isBusy={exporting}
          disabled={exporting}
        >
          {exporting ? __("Exporting…", "sluice") : __("Export CSV", "sluice")}
        </Button>
      </CardHeader>
      {exportFailure || failure ? (
        <CardBody className="sluice-admin__fields">
          {exportFailure ? (
            <Notice status="error" isDismissible onRemove={() => setExportFailure(undefined)}>
              {sprintf(
                /* translators: %s: why, e.g. the gateway's message */
                __("The export failed: %s", "sluice"),
                exportFailure,
              )}
            </Notice>
          ) : null}
          {failure ? (
            <Notice status="error" isDismissible={false}>
              {failure}
            </Notice>
          ) : null}
        </CardBody>
      ) : null}
      {/* DataViews sits flush in its own card body (its styles drop the body's padding). */}
      <CardBody>
        <DataViews<RequestRow>
          data={rows}
          fields={fields}
          view={view}
          onChangeView={changeView}
          search={false}
          isLoading={loading}
          defaultLayouts={{ table: {} }}
          paginationInfo={{
            totalItems: total,
            totalPages: pageCount(total, perPage),
          }}
          config={{ perPageSizes: PER_PAGE_SIZES }}
          empty={<p>{__("No requests yet.", "sluice")}</p>}
        />
      </CardBody>
      <CardFooter>
        <p className="sluice-admin__detail">
          {__(
            "The export holds up to the 10,000 most recent requests, with every column the gateway records.",
            "sluice",
          )}
        </p>
      </CardFooter>
    </Card>
  );
}
