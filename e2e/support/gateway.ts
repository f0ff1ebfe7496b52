import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { DEMO_DELAY_MS, type GatewayProcessInfo, repoRoot } from "./state.ts";

const cli = path.join(repoRoot, "bin", "sluice.js");

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== "object") throw new Error("no free port");
  return address.port;
}

/**
 * The gateway's environment: the demo provider only (no provider key, no AWS
 * credentials and no SLUICE_* setting of the developer's shell leaks in), a temp data
 * folder, and a fast demo.
 */
function gatewayEnv(info: Pick<GatewayProcessInfo, "port" | "dataDir">): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(SLUICE_|AWS_)/.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    SLUICE_HOST: "127.0.0.1",
    SLUICE_PORT: String(info.port),
    SLUICE_DATA_DIR: info.dataDir,
    SLUICE_DEMO_DELAY_MS: String(DEMO_DELAY_MS),
    SLUICE_AUTO_MODELS: "demo/sluice-demo",
    SLUICE_LOG_LEVEL: "info",
  };
}

function runCli(info: GatewayProcessInfo, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // The data folder as working directory: a developer's .env in the repository stays out.
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: info.dataDir,
      env: gatewayEnv(info),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`sluice ${args.join(" ")} failed (exit ${code}):\n${output}`));
    });
  });
}

/** Registers the suite's site with the gateway (`sluice site add`), with a known secret. */
export async function registerSite(info: GatewayProcessInfo): Promise<void> {
  await runCli(info, ["site", "add", info.siteId, `--secret=${info.secret}`]);
}

/**
 * Lists the origins whose pages may read the suite site's direct chats across origins
 * (`sluice site set-origins`); none: same-origin pages only. The running gateway reads
 * the list on every request.
 */
export async function setSiteOrigins(info: GatewayProcessInfo, origins: string[]): Promise<void> {
  await runCli(info, ["site", "set-origins", info.siteId, ...origins]);
}

/**
 * Starts `sluice serve` and resolves with its pid once /healthz answers. The process
 * is not detached: a Ctrl-C of the test run reaches it too.
 */
export async function startGatewayProcess(info: GatewayProcessInfo): Promise<number> {
  const logFd = openSync(info.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [cli, "serve"], {
      cwd: info.dataDir,
      env: gatewayEnv(info),
      stdio: ["ignore", logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error("the gateway process could not be started");

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the gateway stopped with ${exited}:\n${tail(info.logFile)}`);
    try {
      const response = await fetch(`${info.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return pid;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      stopSignal(pid, "SIGKILL");
      throw new Error(
        `the gateway did not answer ${info.url}/healthz in time:\n${tail(info.logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True while `pid` is still a running `sluice.js` (a recycled pid is not ours). */
function isGateway(pid: number): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!commandLine.includes("sluice.js")) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // A zombie (state Z) has exited and only waits to be reaped.
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function stopSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM (the gateway settles open requests and closes), SIGKILL after 10 s. */
export async function stopGatewayProcess(pid: number): Promise<void> {
  if (!isGateway(pid)) return;
  stopSignal(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (isGateway(pid)) {
    if (Date.now() > deadline) {
      stopSignal(pid, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 200));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function tail(file: string): string {
  if (!existsSync(file)) return "(no gateway log)";
  return readFileSync(file, "utf8").trim().split("\n").slice(-20).join("\n");
}
