import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { ProviderSettings } from "../types.ts";

export const DEFAULT_BEDROCK_REGION = "us-east-1";

/**
 * The Bedrock Runtime client for one adapter.
 *
 * Transport: the SDK's Node default is its HTTP/2 handler. We choose the
 * HTTP/1.1 NodeHttpHandler on purpose: an endpoint override (a local test
 * server, a corporate proxy, a VPC endpoint behind a load balancer) speaks
 * HTTP/1.1 far more reliably than cleartext or negotiated HTTP/2, and each
 * stream gets its own socket, so an abort destroys exactly that socket (the
 * upstream sees the disconnect at once) and one broken session cannot take
 * other in-flight streams down with it.
 *
 * Credentials: with `settings.apiKey` the key is a Bedrock API key, sent as
 * `Authorization: Bearer` through the SDK's `token` identity and the
 * `httpBearerAuth` scheme (the same mechanism the SDK uses for
 * AWS_BEARER_TOKEN_BEDROCK). Without it, the standard AWS credential chain
 * signs with SigV4 (AWS_ACCESS_KEY_ID…, profiles, roles).
 */
export function createBedrockClient(
  settings: ProviderSettings,
  env: NodeJS.ProcessEnv = process.env,
): BedrockRuntimeClient {
  const config: BedrockRuntimeClientConfig = {
    region: settings.region || env.SLUICE_BEDROCK_REGION || DEFAULT_BEDROCK_REGION,
    // The gateway's router retries (with jitter, across candidates).
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  };
  if (settings.baseUrl) config.endpoint = settings.baseUrl;
  if (settings.apiKey) {
    config.token = { token: settings.apiKey };
    config.authSchemePreference = ["httpBearerAuth"];
  }
  return new BedrockRuntimeClient(config);
}
