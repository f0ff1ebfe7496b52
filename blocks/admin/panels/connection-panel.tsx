import { Button, Card, CardBody, CardHeader, Notice } from "@wordpress/components";
import { useState } from "@wordpress/element";
import { __, _n, sprintf } from "@wordpress/i18n";
import { type ConnectionReport, errorMessage, testConnection } from "../lib/api";

type Result =
  | { kind: "report"; report: ConnectionReport }
  | { kind: "failed"; message: string }
  | undefined;

function modelCount(models: ConnectionReport["models"]): number {
  return Array.isArray(models) ? models.length : models;
}

/** "Test connection": signs GET /v1/models to the gateway through the plugin and says what came back. */
export function ConnectionPanel() {
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<Result>();

  const run = async () => {
    setTesting(true);
    setResult(undefined);
    try {
      setResult({ kind: "report", report: await testConnection() });
    } catch (error) {
      setResult({ kind: "failed", message: await errorMessage(error) });
    } finally {
      setTesting(false);
    }
  };

  return (
    <Card className="sluice-admin__panel">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Test connection", "sluice")}</h2>
      </CardHeader>
      <CardBody className="sluice-admin__fields">
        <p className="sluice-admin__intro">
          {__(
            "Sends a signed request to the gateway with the saved settings and lists what it offers.",
            "sluice",
          )}
        </p>
        {result?.kind === "report" ? <ReportNotice report={result.report} /> : null}
        {result?.kind === "failed" ? (
          <Notice status="error" isDismissible={false}>
            {result.message}
          </Notice>
        ) : null}
        <div>
          <Button
            __next40pxDefaultSize
            variant="secondary"
            onClick={() => void run()}
            isBusy={testing}
            disabled={testing}
          >
            {testing ? __("Testing…", "sluice") : __("Test connection", "sluice")}
          </Button>
        </div>
      </CardBody>
    </Card>
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
