import { Notice } from "@wordpress/components";
import { __, sprintf } from "@wordpress/i18n";
import type { SluiceSettings } from "../lib/api";
import type { DirectProbeResult } from "../lib/direct-probe";

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}

/** Which transport is in force, and what the admin can do about it. */
export function TransportSummary({ settings }: { settings: SluiceSettings }) {
  const transport = settings.transport ?? "relay";
  const directUrl = settings.direct_chat_url ?? "";
  const check = settings.direct_check?.current ? settings.direct_check : null;
  const crossOrigin =
    directUrl !== "" && settings.site_origin && originOf(directUrl) !== settings.site_origin;
  let explanation: string;
  if (transport === "direct") {
    explanation = sprintf(
      /* translators: %s: the URL browsers post direct chats to */
      __(
        "Visitors' browsers stream answers from the gateway at %s; WordPress only issues a ticket per answer, so no PHP worker waits on the model. If the gateway cannot be reached, the chat goes through WordPress by itself.",
        "sluice",
      ),
      directUrl,
    );
  } else if (directUrl === "") {
    explanation = __(
      "Answers stream from the gateway through WordPress: each open answer holds a PHP worker. Set a direct streaming URL to free them.",
      "sluice",
    );
  } else if (check && !check.ok) {
    explanation = sprintf(
      /* translators: 1: the direct chat URL, 2: why the test failed */
      __(
        "The last test of %1$s failed (%2$s), so answers go through WordPress. Test again once it is fixed.",
        "sluice",
      ),
      directUrl,
      check.detail,
    );
  } else {
    explanation = sprintf(
      /* translators: %s: the direct chat URL */
      __(
        "A direct streaming URL is set (%s). Test streaming to switch to direct mode; until then answers go through WordPress.",
        "sluice",
      ),
      directUrl,
    );
  }
  return (
    <div className="sluice-admin__transport" data-transport={transport}>
      <p>
        <strong>
          {transport === "direct"
            ? __("In force: direct streaming.", "sluice")
            : __("In force: relay through WordPress.", "sluice")}
        </strong>{" "}
        {explanation}
      </p>
      {crossOrigin ? (
        <>
          <p className="sluice-admin__detail">
            {__(
              "The gateway is on another origin than this site's pages. On the gateway, list this site's origin once:",
              "sluice",
            )}
          </p>
          <pre className="sluice-admin__code">
            {`sluice site set-origins ${settings.site_id || "<site id>"} ${settings.site_origin}`}
          </pre>
        </>
      ) : null}
    </div>
  );
}

function timing(result: DirectProbeResult): string {
  return sprintf(
    /* translators: 1: number of words (text pieces), 2: ms to the first one, 3: ms from the first to the last */
    __("%1$d pieces of text; the first after %2$d ms, the rest over %3$d ms.", "sluice"),
    result.deltas,
    Math.round(result.firstDeltaMs ?? 0),
    Math.round(result.spreadMs),
  );
}

function refusalAdvice(code: string | undefined): string {
  switch (code) {
    case "origin_mismatch":
      return __(
        "The gateway saw another origin than the one this site's tickets carry: check that the site's address (Settings → General) is the one visitors use.",
        "sluice",
      );
    case "unknown_site":
    case "ticket_invalid":
      return __(
        "The gateway does not know this site, or its secret differs: run Test connection.",
        "sluice",
      );
    case "ticket_expired":
      return __(
        "The ticket expired before it arrived: the clocks of this server and the gateway must agree within 30 seconds.",
        "sluice",
      );
    default:
      return __("The gateway's log has the reason, with the request id.", "sluice");
  }
}

/** What the direct test found, and that the transport changed accordingly. */
export function DirectProbeReport({
  result,
  transport,
}: {
  result: DirectProbeResult;
  transport: "relay" | "direct";
}) {
  const inForce =
    transport === "direct"
      ? __("Direct mode is now in force.", "sluice")
      : __("Relay stays in force.", "sluice");
  switch (result.verdict) {
    case "progressive":
      return (
        <Notice status="success" isDismissible={false}>
          <p>
            <strong>{__("Direct streaming works.", "sluice")}</strong>{" "}
            {__(
              "The test answer streamed from the gateway to this browser, word by word.",
              "sluice",
            )}{" "}
            {inForce}
          </p>
          <p className="sluice-admin__detail">{timing(result)}</p>
        </Notice>
      );
    case "buffered":
      return (
        <Notice status="warning" isDismissible={false}>
          <p>
            <strong>
              {__("Direct streaming works, but the answer arrived in one piece.", "sluice")}
            </strong>{" "}
            {__(
              "Something between the gateway and this browser buffers (a proxy or CDN in front of the gateway). PHP is freed all the same; visitors' browsers will ask for whole answers. Turn buffering off for the gateway's path to have answers appear word by word.",
              "sluice",
            )}{" "}
            {inForce}
          </p>
          <p className="sluice-admin__detail">{timing(result)}</p>
        </Notice>
      );
    case "unreachable":
      return (
        <Notice status="error" isDismissible={false}>
          <p>
            <strong>
              {sprintf(
                /* translators: %s: the direct chat URL */
                __("This browser could not reach the gateway at %s.", "sluice"),
                result.url,
              )}
            </strong>{" "}
            {__(
              "Check the URL; for a gateway on another origin, that it lists this site's origin (below); for an https site, that the URL is https too; for a path on this site, that the web server passes it to the gateway.",
              "sluice",
            )}{" "}
            {inForce}
          </p>
          {result.status === undefined ? null : (
            <p className="sluice-admin__detail">{result.detail}</p>
          )}
        </Notice>
      );
    case "refused":
      return (
        <Notice status="error" isDismissible={false}>
          <p>
            <strong>
              {sprintf(
                /* translators: %s: e.g. "HTTP 401 origin_mismatch" */
                __("The gateway refused the test chat (%s).", "sluice"),
                result.detail,
              )}
            </strong>{" "}
            {refusalAdvice(result.code)} {inForce}
          </p>
        </Notice>
      );
    default:
      return (
        <Notice status="error" isDismissible={false}>
          <p>
            <strong>
              {sprintf(
                /* translators: %s: what went wrong, e.g. "interrupted" */
                __("The test answer did not complete (%s).", "sluice"),
                result.detail,
              )}
            </strong>{" "}
            {inForce}
          </p>
        </Notice>
      );
  }
}
