import { ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { ProviderStreamError } from "../errors.ts";
import type { AdapterFactory, ProviderEvent } from "../types.ts";
import { createBedrockClient } from "./client.ts";
import { abortError, toOpenError } from "./errors.ts";
import { toConverseRequest } from "./request.ts";
import { toProviderEvents } from "./stream.ts";

/**
 * AWS Bedrock ConverseStream through the official SDK. The model id is the
 * Bedrock model or inference-profile id (e.g. us.amazon.nova-micro-v1:0);
 * `settings.baseUrl` overrides the regional endpoint (host root).
 */
export const createAdapter: AdapterFactory = (settings) => {
  const client = createBedrockClient(settings);

  return {
    id: "bedrock",
    async open(call, signal): Promise<AsyncIterable<ProviderEvent>> {
      if (signal.aborted) throw abortError(signal);
      // Aborts the request when the caller's signal fires or it stops reading.
      const cancel = new AbortController();
      const abortSignal = AbortSignal.any([signal, cancel.signal]);
      try {
        // send() resolves after the response headers and the first event
        // frame (the SDK reads it to look for an initial-response).
        const output = await client.send(new ConverseStreamCommand(toConverseRequest(call)), {
          abortSignal,
        });
        const requestId = output.$metadata.requestId;
        if (!output.stream) {
          throw new ProviderStreamError("bedrock: response carried no event stream", {
            provider: "bedrock",
            upstreamRequestId: requestId,
          });
        }
        return toProviderEvents(output.stream, signal, requestId, cancel);
      } catch (error) {
        throw toOpenError(error, signal);
      }
    },
  };
};
