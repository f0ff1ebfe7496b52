import { fileURLToPath } from "node:url";
import { spawnChild } from "../lib/proc.ts";
import { openaiRequest } from "./openai.ts";
import type { TargetDefinition } from "./types.ts";

export const relay: TargetDefinition = {
  name: "relay",
  description: "bare node:http relay (request and response piped, no parsing): the floor",
  async start(context) {
    const script = fileURLToPath(new URL("./relay-server.ts", import.meta.url));
    const child = spawnChild("relay", [...context.nodeFlags, "--import", "tsx", script], {
      env: { ...process.env, BENCH_UPSTREAM: context.upstreamOrigin },
    });
    const match = await child.waitForLine(/^listening (\d+)$/, 20_000);
    return {
      name: "relay",
      host: "127.0.0.1",
      port: Number(match[1]),
      pid: child.pid,
      format: "openai",
      prepare: (spec) => openaiRequest(spec, "/v1/chat/completions"),
      output: () => child.output(),
      stop: () => child.stop(),
    };
  },
};
