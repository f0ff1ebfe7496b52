import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, spawnChild, waitForHttp } from "../lib/proc.ts";
import { openaiRequest } from "./openai.ts";
import type { TargetDefinition } from "./types.ts";

/**
 * Portkey's open-source gateway (npm @portkey-ai/gateway), started from its own
 * bin (build/start-server.js) with --port=N --headless. It proxies
 * POST /v1/chat/completions to the host named by x-portkey-custom-host.
 *
 * Its server listens on every interface (@hono/node-server passes no host); the
 * bench keeps to loopback by starting it through a two-line shim that makes a
 * listen() without a host listen on 127.0.0.1. Plain JavaScript on purpose: a
 * TypeScript loader in Portkey's process would add to its memory.
 */
const LOOPBACK_SHIM = `
import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && (args[1] === undefined || typeof args[1] === "function")) {
    if (args[1] === undefined) args[1] = "127.0.0.1"; else args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
await import(process.argv[1]);
`;

export const portkey: TargetDefinition = {
  name: "portkey",
  description: "Portkey OSS gateway @portkey-ai/gateway 1.15.2, provider openai + custom host",
  async start(context) {
    const entry = join(context.root, "node_modules/@portkey-ai/gateway/build/start-server.js");
    if (!existsSync(entry)) throw new Error(`Portkey's gateway is not installed (${entry})`);
    const port = await freePort();
    const child = spawnChild(
      "portkey",
      [
        ...context.nodeFlags,
        "--input-type=module",
        "-e",
        LOOPBACK_SHIM,
        entry,
        `--port=${port}`,
        "--headless",
      ],
      { cwd: context.tempDir },
    );
    await waitForHttp(`http://127.0.0.1:${port}/`, child, 30_000);
    const headers = {
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${context.upstreamOrigin}/v1`,
    };
    return {
      name: "portkey",
      host: "127.0.0.1",
      port,
      pid: child.pid,
      format: "openai",
      prepare: (spec) => openaiRequest(spec, "/v1/chat/completions", headers),
      output: () => child.output(),
      stop: () => child.stop(),
    };
  },
};
