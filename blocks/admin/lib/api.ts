import apiFetch from "@wordpress/api-fetch";
import { __ } from "@wordpress/i18n";
import type { ServingKeys } from "../../../contract/keys";
import type { PolicyJson, PolicyReport } from "../../../contract/policy";
import type { TicketGrant } from "../../chat/view/direct";

/** GET/POST /wp-json/sluice/v1/settings (docs/wordpress-contract.md). The secret is never read back. */
export type SluiceSettings = {
  gateway_url: string;
  site_id: string;
  secret_set: boolean;
  secret_from_constant: boolean;
  gateway_url_from_constant?: boolean;
  site_id_from_constant?: boolean;
  streaming_mode: "auto" | "buffered" | "off";
  rate_limit_per_minute: number;
  /** What the admin should know (absent from an older plugin). */
  warnings?: SettingsWarning[];
} & Partial<TransportSettings> &
  Partial<TurnstileSettings>;

/** Cloudflare Turnstile's keys (an older plugin sends none); the secret is never read back. */
export interface TurnstileSettings {
  /** The public site key ("" when none); Turnstile is on once a secret is set too. */
  turnstile_site_key: string;
  turnstile_secret_set: boolean;
  turnstile_site_key_from_constant: boolean;
  turnstile_secret_from_constant: boolean;
}

/**
 * The transport part of the settings (docs/wordpress-contract.md, "Transports: relay and
 * direct"); an older plugin sends none of it (relay).
 */
export interface TransportSettings {
  /** "", a path on this site's origin ("/sluice-gateway") or an http(s) URL. */
  direct_url: string;
  direct_url_from_constant: boolean;
  /** Where browsers post direct chats ("" without a direct URL). */
  direct_chat_url: string;
  /** The origin of this site's pages, which tickets bind. */
  site_origin: string;
  /** The transport in force. */
  transport: "relay" | "direct";
  /** The last test of direct streaming; `current` when it was of today's URL and origin. */
  direct_check: {
    ok: boolean;
    url: string;
    origin: string;
    at: string;
    detail: string;
    current: boolean;
  } | null;
}

/**
 * A warning of the settings route: plain http to a remote gateway
 * (`gateway_plain_http`), a stored private gateway URL (`gateway_private_address`),
 * visitors who all seem to share one address (`visitors_share_address`,
 * `proxy_headers_ignored`). `example` is code to copy ("" when there is none).
 */
export interface SettingsWarning {
  code: string;
  message: string;
  example: string;
}

/** What a Save may send: `secret` only when the admin typed one ("" removes the stored one). */
export type SettingsChanges = Partial<
  Pick<
    SluiceSettings,
    | "gateway_url"
    | "site_id"
    | "streaming_mode"
    | "rate_limit_per_minute"
    | "direct_url"
    | "turnstile_site_key"
  >
> & { secret?: string; turnstile_secret?: string };

/** POST /wp-json/sluice/v1/test-connection. */
export interface ConnectionReport {
  ok: boolean;
  status: number;
  code?: string;
  message: string;
  latency_ms: number;
  /** Model ids (or, from an older plugin, their number). */
  models: string[] | number;
}

export function fetchSettings(): Promise<SluiceSettings> {
  return apiFetch<SluiceSettings>({ path: "/sluice/v1/settings" });
}

export function saveSettings(changes: SettingsChanges): Promise<SluiceSettings> {
  return apiFetch<SluiceSettings>({ path: "/sluice/v1/settings", method: "POST", data: changes });
}

export function testConnection(): Promise<ConnectionReport> {
  return apiFetch<ConnectionReport>({ path: "/sluice/v1/test-connection", method: "POST" });
}

/** The stream probe's raw response (api-fetch adds the root URL and the nonce). */
export function openStreamProbe(): Promise<Response> {
  return apiFetch<Response, false>({
    path: "/sluice/v1/stream-probe",
    parse: false,
    headers: { Accept: "text/event-stream" },
  });
}

/** POST /wp-json/sluice/v1/direct-probe: a ticket for the test chat of direct mode. */
export function fetchDirectProbeTicket(): Promise<TicketGrant> {
  return apiFetch<TicketGrant>({ path: "/sluice/v1/direct-probe", method: "POST" });
}

/** POST /wp-json/sluice/v1/direct-probe/result: what the test found; answers the transport settings. */
export function reportDirectProbe(result: {
  url: string;
  ok: boolean;
  detail: string;
}): Promise<TransportSettings> {
  return apiFetch<TransportSettings>({
    path: "/sluice/v1/direct-probe/result",
    method: "POST",
    data: result,
  });
}

/** A readable sentence for a failed api-fetch call (a WP_Error body, a Response or an Error). */
export async function errorMessage(error: unknown): Promise<string> {
  if (typeof Response !== "undefined" && error instanceof Response) {
    try {
      const body = (await error.json()) as { message?: unknown };
      if (typeof body.message === "string" && body.message) return body.message;
    } catch {
      // Not JSON: fall back to the status.
    }
    return `HTTP ${error.status} ${error.statusText}`.trim();
  }
  if (typeof error === "object" && error !== null && "message" in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === "string" && message) return message;
  }
  return __("Something went wrong. Please try again.", "sluice");
}

/** The spend policy's JSON (GET/POST /wp-json/sluice/v1/policy) is the contract's. */
export type { CapStatus, PolicyJson, PolicyReport } from "../../../contract/policy";

/** What a Save may send: null clears a field of the site's layer; a null `timezone` means WordPress's. */
export type PolicyChanges = Partial<PolicyJson>;

/** One model of GET /wp-json/sluice/v1/models?all=1. */
export interface CatalogModel {
  id: string;
  provider: string;
  model: string;
  context_window: number | null;
  max_output_tokens: number | null;
  input_usd_per_million: number;
  output_usd_per_million: number;
  allowed?: boolean;
}

export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_picousd: number;
  cost_usd: number;
}

/** GET /wp-json/sluice/v1/usage?days=N: local days of the policy's time zone, oldest first. */
export interface UsageReport {
  site: string;
  timezone: string;
  from: string;
  to: string;
  total: UsageTotals;
  by_day: (UsageTotals & { day: string })[];
  by_model: (UsageTotals & { provider: string; model: string })[];
}

/** One row of GET /wp-json/sluice/v1/requests. */
export interface RequestRow {
  id: string;
  started_at: string;
  provider: string;
  model: string;
  requested_model: string;
  degraded_from: string | null;
  status: "ok" | "aborted" | "error" | "interrupted" | string;
  streamed: boolean;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  priced: boolean;
  usage_source: string | null;
  latency_ms: number | null;
  ttfc_ms: number | null;
  finish_reason: string | null;
  error_code: string | null;
  /** Who asked: "plugin:<slug>" (a WordPress 7 AI Client prompt), "theme:<slug>", "core"; null for the Chat block. */
  source?: string | null;
}

export interface RequestPage {
  data: RequestRow[];
  /** How many requests started before `as_of`. */
  total: number;
  /** The `before` this page was read with (unix ms): later pages pass it back. */
  as_of: number;
  /** `before` of the next (older) page; null on the last page. */
  next_before: number | null;
}

export function fetchPolicy(): Promise<PolicyReport> {
  return apiFetch<PolicyReport>({ path: "/sluice/v1/policy" });
}

export function savePolicy(changes: PolicyChanges): Promise<PolicyReport> {
  return apiFetch<PolicyReport>({ path: "/sluice/v1/policy", method: "POST", data: changes });
}

export async function fetchCatalog(): Promise<CatalogModel[]> {
  const list = await apiFetch<{ data: CatalogModel[] }>({ path: "/sluice/v1/models?all=1" });
  return list.data;
}

/** GET /wp-json/sluice/v1/keys: the provider keys the gateway serves this site with. */
export function fetchKeys(): Promise<ServingKeys> {
  return apiFetch<ServingKeys>({ path: "/sluice/v1/keys" });
}

export function fetchUsage(days: number): Promise<UsageReport> {
  return apiFetch<UsageReport>({ path: `/sluice/v1/usage?days=${days}` });
}

export function fetchRequests(
  perPage: number,
  page: { before?: number; offset: number },
): Promise<RequestPage> {
  const before = page.before === undefined ? "" : `&before=${page.before}`;
  return apiFetch<RequestPage>({
    path: `/sluice/v1/requests?per_page=${perPage}&offset=${page.offset}${before}`,
  });
}

/** The CSV export as a file: its bytes and the name the plugin gave it. */
export async function fetchRequestsCsv(): Promise<{ blob: Blob; filename: string }> {
  const response = await apiFetch<Response, false>({
    path: "/sluice/v1/requests.csv",
    parse: false,
    headers: { Accept: "text/csv" },
  });
  return {
    blob: await response.blob(),
    filename:
      filenameFromDisposition(response.headers.get("Content-Disposition")) ?? "sluice-requests.csv",
  };
}

/** The filename of a Content-Disposition header (quoted or bare), when it has one. */
export function filenameFromDisposition(header: string | null): string | undefined {
  const match = /filename="([^"]+)"|filename=([^;\s]+)/i.exec(header ?? "");
  const name = match?.[1] ?? match?.[2];
  return name ? name.replace(/[\\/]/g, "_") : undefined;
}
