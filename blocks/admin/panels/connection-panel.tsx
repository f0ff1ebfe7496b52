import { Notice } from "@wordpress/components";
import { __, _n, sprintf } from "@wordpress/i18n";
import { TestCard } from "../components/test-card";
import { type ConnectionReport, testConnection } from "../lib/api";

function modelCount(models: ConnectionReport["models"]): number {
  return Array.isArray(models) ? models.length : models;
}

/** "Test connection": signs GET /v1/models to the gateway through the plugin and says what came back. */
export function ConnectionPanel() {
  return (
    <TestCard
      title={__("Test connection", "sluice")}
      intro={__(
        "Sends a signed request to the gateway with the saved settings and lists what it offers.",
        "sluice",
      )}
      buttonLabel={__("Test connection", "sluice")}
      busyLabel={__("Testing…", "sluice")}
      run={async () => <ReportNotice report={await testConnection()} />}
    />
  );
}

function ReportNotice({ report }: { report: ConnectionReport }) {
  const count = modelCount(report.models);
  if (report.ok) {
    return (
      <Notice status="success" isDismissible={false}>
        <p>
          {sprintf(
            /* translators: 1: number of models, 2: milliseconds */
            _n(
              "Connected: the gateway offers %1$d model (answered in %2$d ms).",
              "Connected: the gateway offers %1$d models (answered in %2$d ms).",
              count,
              "sluice",
            ),
            count,
            report.latency_ms,
          )}
        </p>
        {Array.isArray(report.models) && report.models.length > 0 ? (
          <p className="sluice-admin__models">{report.models.join(", ")}</p>
        ) : null}
      </Notice>
    );
  }
  const detail = [report.status ? `HTTP ${report.status}` : "", report.code ?? ""]
    .filter(Boolean)
    .join(" · ");
  return (
    <Notice status="error" isDismissible={false}>
      <p>{report.message}</p>
      {detail ? <p className="sluice-admin__detail">{detail}</p> : null}
    </Notice>
  );
}
