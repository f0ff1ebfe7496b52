import apiFetch from "@wordpress/api-fetch";
import { __ } from "@wordpress/i18n";

/** GET/POST /wp-json/sluice/v1/settings (docs/wordpress-contract.md). The secret is never read back. */
export interface SluiceSettings {
  gateway_url: string;
  site_id: string;
  secret_set: boolean;
  secret_from_constant: boolean;
  gateway_url_from_constant?: boolean;
  site_id_from_constant?: boolean;
  streaming_mode: "auto" | "buffered" | "off";
  rate_limit_per_minute: number;
}

/** What a Save may send: `secret` only when the admin typed one ("" removes the stored one). */
export type SettingsChanges = Partial<
  Pick<SluiceSettings, "gateway_url" | "site_id" | "streaming_mode" | "rate_limit_per_minute">
> & { secret?: string };

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
