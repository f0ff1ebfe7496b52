import { openaiRequest } from "./openai.ts";
import type { TargetDefinition } from "./types.ts";

/** The upstream itself, no hop: the reference every "added" figure is measured against. */
export const direct: TargetDefinition = {
  name: "direct",
  description: "the local upstream itself (the reference)",
  async start(context) {
    const url = new URL(context.upstreamOrigin);
    return {
      name: "direct",
      host: url.hostname,
      port: Number(url.port),
      // The upstream's own memory is reported separately, not as a target's.
      pid: undefined,
      format: "openai",
      prepare: (spec) => openaiRequest(spec, "/v1/chat/completions"),
      output: () => "",
      stop: async () => {},
    };
  },
};
