import type { PolicyJson, PolicySnapshot } from "../../contract/policy.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { readState } from "./state.ts";

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
export function putGatewayPolicy(layer: PolicyJson): Promise<PolicySnapshot> {
  return policyRequest("PUT", JSON.stringify(layer));
}
