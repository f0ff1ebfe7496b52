import { Button, Card, CardBody, CardHeader, Notice } from "@wordpress/components";
import { useState } from "@wordpress/element";
import type { ReactNode } from "react";
import { errorMessage } from "../lib/api";

type Outcome =
  | { kind: "done"; report: ReactNode }
  | { kind: "failed"; message: string }
  | undefined;

/**
 * A panel with one check: a title, what the check does, a button that runs it,
 * and its report (or the error, said plainly).
 */
export function TestCard({
  title,
  intro,
  summary,
  buttonLabel,
  busyLabel,
  run,
}: {
  title: string;
  intro: string;
  /** What stands before the intro, e.g. the state the check is about. */
  summary?: ReactNode;
  buttonLabel: string;
  busyLabel: string;
  /** Runs the check and returns what to show. */
  run: () => Promise<ReactNode>;
}) {
  const [testing, setTesting] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();

  const start = async () => {
    setTesting(true);
    setOutcome(undefined);
    try {
      setOutcome({ kind: "done", report: await run() });
    } catch (error) {
      setOutcome({ kind: "failed", message: await errorMessage(error) });
    } finally {
      setTesting(false);
    }
  };

  return (
    <Card className="sluice-admin__panel">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{title}</h2>
      </CardHeader>
      <CardBody className="sluice-admin__fields">
        {summary}
        <p className="sluice-admin__intro">{intro}</p>
        {outcome?.kind === "done" ? outcome.report : null}
        {outcome?.kind === "failed" ? (
          <Notice status="error" isDismissible={false}>
            {outcome.message}
          </Notice>
        ) : null}
        <div>
          <Button
            __next40pxDefaultSize
            variant="secondary"
            onClick={() => void start()}
            isBusy={testing}
            disabled={testing}
          >
            {testing ? busyLabel : buttonLabel}
          </Button>
        </div>
      </CardBody>
    </Card>
  );
}
