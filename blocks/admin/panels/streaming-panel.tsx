import { Notice } from "@wordpress/components";
import { __, sprintf } from "@wordpress/i18n";
import { TestCard } from "../components/test-card";
import {
  fetchDirectProbeTicket,
  openStreamProbe,
  reportDirectProbe,
  type SluiceSettings,
  type TransportSettings,
} from "../lib/api";
import { probeDirect } from "../lib/direct-probe";
import { analyzeProbe, type Intermediary, type ProbeAnalysis } from "../lib/probe-analysis";
import { readProbe } from "../lib/probe-reader";
import { DirectProbeReport, TransportSummary } from "./transport-report";

/**
 * "Test streaming": says which transport is in force and tests the one that counts.
 * Without a direct streaming URL, the stream probe through PHP on this host (relay); with
 * one, a short chat streamed from the gateway in this browser as the Chat block does it,
 * whose result switches the transport (docs/wordpress-contract.md, "Transports").
 */
export function StreamingPanel({
  settings,
  onTransport,
}: {
  settings: SluiceSettings;
  onTransport(transport: TransportSettings): void;
}) {
  const direct = (settings.direct_chat_url ?? "") !== "";
  return (
    <TestCard
      title={__("Test streaming", "sluice")}
      summary={<TransportSummary settings={settings} />}
      intro={
        direct
          ? __(
              "Sends one short test chat (at most 32 tokens, billed as any chat) to the direct streaming URL and streams the answer in this browser, as visitors' browsers would. If it works, direct mode is in force; if not, relay.",
              "sluice",
            )
          : __(
              "PHP on this host sends 10 small events, 150 ms apart. If they reach your browser one by one, answers can stream; if they arrive together at the end, something between PHP and the browser buffers.",
              "sluice",
            )
      }
      buttonLabel={__("Test streaming", "sluice")}
      busyLabel={
        direct
          ? __("Testing… (a few seconds)", "sluice")
          : __("Testing… (about 2 seconds)", "sluice")
      }
      run={async () => {
        if (direct) {
          const grant = await fetchDirectProbeTicket();
          const result = await probeDirect(grant);
          const transport = await reportDirectProbe({
            url: grant.url,
            ok: result.ok,
            detail: result.detail,
          });
          onTransport(transport);
          return <DirectProbeReport result={result} transport={transport.transport} />;
        }
        const startedAt = performance.now();
        const response = await openStreamProbe();
        const reading = await readProbe(response, startedAt);
        return <ProbeReport analysis={analyzeProbe(reading)} />;
      }}
    />
  );
}

function timing(analysis: ProbeAnalysis): string {
  return sprintf(
    /* translators: 1: events received, 2: events expected, 3: ms over which PHP sent them, 4: ms over which they arrived, 5: number of bursts */
    __("%1$d of %2$d events; sent over %3$d ms, received over %4$d ms in %5$d burst(s).", "sluice"),
    analysis.events,
    analysis.expectedEvents,
    Math.round(analysis.sentSpreadMs),
    Math.round(analysis.receivedSpreadMs),
    analysis.bursts,
  );
}

function ProbeReport({ analysis }: { analysis: ProbeAnalysis }) {
  switch (analysis.verdict) {
    case "progressive":
      return (
        <Notice status="success" isDismissible={false}>
          <p>
            <strong>{__("Progressive: this host streams.", "sluice")}</strong>{" "}
            {__(
              "Answers appear word by word. “Automatic” streaming is the right setting.",
              "sluice",
            )}
          </p>
          <p className="sluice-admin__detail">{timing(analysis)}</p>
        </Notice>
      );
    case "incomplete":
      return (
        <Notice status="warning" isDismissible={false}>
          <p>
            <strong>{__("The probe stream ended early.", "sluice")}</strong>{" "}
            {__(
              "A proxy or a timeout cut it off, or a plugin changed the response. Try again; if it persists, use “Whole answers only”.",
              "sluice",
            )}
          </p>
          <p className="sluice-admin__detail">{timing(analysis)}</p>
        </Notice>
      );
    default:
      return (
        <Notice status="warning" isDismissible={false}>
          <p>
            <strong>
              {analysis.verdict === "buffered"
                ? __("Buffered: the events arrived all at once, at the end.", "sluice")
                : __("Partly buffered: the events arrived in a few bursts.", "sluice")}
            </strong>{" "}
            {__(
              "Visitors would wait for whole answers. The chat still works (it switches to whole answers by itself), but streaming needs one of these changes:",
              "sluice",
            )}
          </p>
          <BufferingAdvice intermediaries={analysis.intermediaries} />
          <p className="sluice-admin__detail">{timing(analysis)}</p>
        </Notice>
      );
  }
}

interface Advice {
  key: Intermediary | "proxy";
  title: string;
  body: string;
  code?: string;
}

function adviceList(): Advice[] {
  return [
    {
      key: "nginx",
      title: __("nginx", "sluice"),
      body: __(
        "Sluice already sends “X-Accel-Buffering: no”; make sure nothing strips it, or turn buffering off for the REST API:",
        "sluice",
      ),
      code: "# where nginx passes /wp-json/sluice/ to PHP or to the backend:\nfastcgi_buffering off;   # nginx + PHP-FPM\nproxy_buffering off;     # nginx as a reverse proxy\ngzip off;",
    },
    {
      key: "apache",
      title: __("Apache", "sluice"),
      body: __(
        "mod_deflate compresses, and so buffers, the stream. Exclude the chat routes:",
        "sluice",
      ),
      code: "SetEnvIfNoCase Request_URI ^/wp-json/sluice/ no-gzip dont-vary",
    },
    {
      key: "cdn",
      title: __("CDN or proxy (Cloudflare, Fastly, CloudFront, Varnish…)", "sluice"),
      body: __(
        "Add a rule that bypasses caching and buffering (and compression) for /wp-json/sluice/*.",
        "sluice",
      ),
    },
    {
      key: "compression",
      title: __("Compression", "sluice"),
      body: __(
        "The response was compressed. Turn off gzip/brotli for /wp-json/sluice/* (PHP's zlib.output_compression, a caching plugin, or the server).",
        "sluice",
      ),
    },
  ];
}

/** The fixes, those that match the response's headers first. */
function BufferingAdvice({ intermediaries }: { intermediaries: Intermediary[] }) {
  const seen = new Set<string>(
    intermediaries.map((item) => (item === "cloudflare" ? "cdn" : item)),
  );
  const all = adviceList().filter(
    (advice) => advice.key !== "compression" || seen.has("compression"),
  );
  const ordered = [
    ...all.filter((advice) => seen.has(advice.key)),
    ...all.filter((advice) => !seen.has(advice.key)),
  ];
  return (
    <ul className="sluice-admin__advice">
      {ordered.map((advice) => (
        <li key={advice.key}>
          <strong>{advice.title}</strong>
          {seen.has(advice.key) ? ` ${__("(detected)", "sluice")}` : ""}: {advice.body}
          {advice.code ? <pre className="sluice-admin__code">{advice.code}</pre> : null}
        </li>
      ))}
    </ul>
  );
}
