import { Card, CardBody, CardHeader, Notice, Spinner } from "@wordpress/components";
import { useEffect, useState } from "@wordpress/element";
import { __, _n, sprintf } from "@wordpress/i18n";
import type { ServingKeys } from "../../../contract/keys";
import { errorMessage, fetchKeys } from "../lib/api";
import { adminLocale, formatDateTime } from "../lib/format";
import { type KeyLine, keyLines, overdueCount } from "../lib/key-report";

type Loaded =
  | { state: "loading" }
  | { state: "ready"; keys: ServingKeys }
  | { state: "failed"; message: string };

/**
 * "Provider keys": the keys the gateway answers this site's chats with, their age and
 * whether one is past the gateway's rotation age (never the keys themselves).
 */
export function KeysPanel() {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  useEffect(() => {
    let current = true;
    fetchKeys().then(
      (keys) => current && setLoaded({ state: "ready", keys }),
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
    <Card className="sluice-admin__panel sluice-keys">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Provider keys", "sluice")}</h2>
      </CardHeader>
      <CardBody className="sluice-admin__fields">
        <p className="sluice-admin__intro">
          {__(
            "The model providers' keys the gateway answers this site's chats with, as the gateway reports them (it never sends a key). Keys are set and rotated on the gateway's host with the sluice command.",
            "sluice",
          )}
        </p>
        {loaded.state === "loading" ? (
          <p className="sluice-admin__loading">
            <Spinner /> {__("Asking the gateway…", "sluice")}
          </p>
        ) : null}
        {loaded.state === "failed" ? (
          <Notice status="error" isDismissible={false}>
            {__("The gateway's keys could not be read:", "sluice")} {loaded.message}
          </Notice>
        ) : null}
        {loaded.state === "ready" ? <KeysReport keys={loaded.keys} /> : null}
      </CardBody>
    </Card>
  );
}

function KeysReport({ keys }: { keys: ServingKeys }) {
  const lines = keyLines(keys);
  const overdue = overdueCount(keys);
  if (lines.length === 0) {
    return (
      <p>
        {__(
          "The gateway has no provider key for this site: only its demo provider answers.",
          "sluice",
        )}
      </p>
    );
  }
  return (
    <>
      {overdue > 0 ? (
        <Notice status="warning" isDismissible={false}>
          {sprintf(
            /* translators: 1: number of keys, 2: days */
            _n(
              "%1$d key is older than %2$d days: rotate it on the gateway (below).",
              "%1$d keys are older than %2$d days: rotate them on the gateway (below).",
              overdue,
              "sluice",
            ),
            overdue,
            keys.max_age_days,
          )}
        </Notice>
      ) : null}
      <ul className="sluice-keys__list">
        {lines.map((line) => (
          <li key={line.provider} className={line.overMaxAge ? "is-overdue" : undefined}>
            <KeyText line={line} environment={keys.environment} />
          </li>
        ))}
      </ul>
    </>
  );
}

function KeyText({ line, environment }: { line: KeyLine; environment: string }) {
  const locale = adminLocale();
  if (line.kind === "environment") {
    return (
      <p>
        <strong>{line.provider}</strong>{" "}
        {__(
          "from an environment variable of the gateway (its age is not known; rotate it where it is set).",
          "sluice",
        )}
      </p>
    );
  }
  return (
    <>
      <p>
        <strong>{line.provider}</strong>{" "}
        {sprintf(
          /* translators: 1: date and time, 2: number of days, 3: the gateway's environment name */
          __("stored in the vault, set %1$s (%2$d days ago), for environment %3$s.", "sluice"),
          line.setAt ? formatDateTime(line.setAt, locale) : "?",
          line.ageDays ?? 0,
          environment,
        )}
        {line.overMaxAge ? <strong> {__("Time to rotate it.", "sluice")}</strong> : null}
      </p>
      {line.previousUntil ? (
        <p>
          {sprintf(
            /* translators: %s: date and time */
            __("The key it replaced still answers until %s.", "sluice"),
            formatDateTime(line.previousUntil, locale),
          )}
        </p>
      ) : null}
      {line.overMaxAge && line.rotateCommand ? (
        <p>
          {__("On the gateway's host:", "sluice")} <code>{line.rotateCommand} &lt; new.key</code>
        </p>
      ) : null}
    </>
  );
}
