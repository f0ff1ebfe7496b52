import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { signedHeaders } from "../../../server/http/signature.ts";
import { freePort, runNode, spawnChild, waitForHttp } from "../lib/proc.ts";
import { specMessage } from "../lib/spec.ts";
import type { TargetContext, TargetDefinition } from "./types.ts";

const SITE = "bench";
const PATH = "/v1/chat";

/** The gateway's data dir (SQLite, vault key) inside the run's temp dir. */
export function sluiceDataDir(tempDir: string): string {
  return join(tempDir, "sluice");
}

/**
 * Runs `sluice <args>` (the gateway's CLI) on the sluice target's data dir, as its
 * operator would; the running gateway reads sites from SQLite on every request.
 */
export function runGatewayCli(context: TargetContext, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SLUICE_")) env[name] = value;
  }
  Object.assign(env, {
    SLUICE_DATA_DIR: sluiceDataDir(context.tempDir),
    SLUICE_LOG_LEVEL: "warn",
    TSX_TSCONFIG_PATH: join(context.root, "tsconfig.json"),
  });
  return runNode([join(context.root, "bin/sluice.js"), ...args], { env, cwd: context.tempDir });
}

/**
 * The Sluice gateway as users run it: `node bin/sluice.js serve`, its own
 * process, a temp data dir, one registered site, every request signed with a
 * fresh nonce. The working directory is the temp dir, so a developer's .env is
 * never read; every SLUICE_* variable of the bench's own environment is dropped.
 */
export const sluice: TargetDefinition = {
  name: "sluice",
  description:
    "Sluice gateway (node bin/sluice.js serve), signed POST /v1/chat, openai/gpt-4o-mini",
  async start(context) {
    const port = await freePort();
    const dataDir = sluiceDataDir(context.tempDir);
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith("SLUICE_")) env[name] = value;
    }
    Object.assign(env, {
      SLUICE_PORT: String(port),
      SLUICE_DATA_DIR: dataDir,
      SLUICE_LOG_LEVEL: "warn",
      SLUICE_OPENAI_API_KEY: "sk-bench",
      SLUICE_OPENAI_BASE_URL: `${context.upstreamOrigin}/v1`,
      TSX_TSCONFIG_PATH: join(context.root, "tsconfig.json"),
    });
    const bin = join(context.root, "bin/sluice.js");
    const secret = randomBytes(24).toString("hex");
    await runNode([bin, "site", "add", SITE, `--secret=${secret}`], { env, cwd: context.tempDir });

    const child = spawnChild("sluice", [...context.nodeFlags, bin, "serve"], {
      env,
      cwd: context.tempDir,
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, 30_000);
    return {
      name: "sluice",
      host: "127.0.0.1",
      port,
      pid: child.pid,
      format: "sluice",
      prepare(spec) {
        const body = JSON.stringify({
          model: "openai/gpt-4o-mini",
          messages: [{ role: "user", content: specMessage(spec) }],
          max_tokens: spec.chunks,
        });
        const headers = signedHeaders({ siteId: SITE, secret, method: "POST", path: PATH, body });
        return { path: PATH, headers: { "Content-Type": "application/json", ...headers }, body };
      },
      output: () => child.output(),
      stop: () => child.stop(),
    };
  },
};
