import { signedHeaders } from "../../server/http/signature.ts";
import { readState } from "./state.ts";

/** One layer of the site's spend policy, as GET/PUT /v1/policy writes it. */
export interface PolicyLayer {
  day_usd: number | null;
  month_usd: number | null;
  visitor_day_usd: number | null;
  request_usd: number | null;
  models: string[] | null;
  soft_threshold: number | null;
  timezone: string | null;
}

/** Spend in one period against its cap (the gateway's CapStatus). */
export interface CapStatusJson {
  period: string;
  settled_usd: number;
  reserved_usd: number;
  cap_usd: number | null;
  used_fraction: number | null;
  warning: boolean;
  resets_at: string;
}

export interface PolicySnapshot {
  site: string;
  operator: PolicyLayer;
  site_policy: PolicyLayer;
  effective: PolicyLayer;
  spend: { today: CapStatusJson; month: CapStatusJson };
}

/**
 * A request to the gateway's /v1/policy signed as the suite's site, straight from the
 * test (not through WordPress): to read the spend, and to put the site's policy back
 * whatever the browser managed to do.
 */
async function policyRequest(method: "GET" | "PUT", body = ""): Promise<PolicySnapshot> {
  const { gateway } = readState();
  const path = "/v1/policy";
  const headers: Record<string, string> = signedHeaders({
    siteId: gateway.siteId,
    secret: gateway.secret,
    method,
    path,
    body,
  });
  if (method === "PUT") headers["content-type"] = "application/json";
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers,
    ...(method === "PUT" ? { body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as PolicySnapshot;
}

/** The gateway's GET /v1/policy for the suite's site. */
export function gatewayPolicy(): Promise<PolicySnapshot> {
  return policyRequest("GET");
}

/** Sets the site's layer (every field given; null clears it) with PUT /v1/policy. */
export function putGatewayPolicy(layer: PolicyLayer): Promise<PolicySnapshot> {
  return policyRequest("PUT", JSON.stringify(layer));
}
