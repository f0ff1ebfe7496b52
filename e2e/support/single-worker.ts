import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { phpServerArgs } from "../../scripts/wordpress/server.ts";
import { siteUrlVariable } from "../../scripts/wordpress/wp-config.ts";

export interface SingleWorkerWordPress {
  /** The second server's origin (its own port): WordPress's home_url() there. */
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * The suite's WordPress served a second time, by php -S without PHP_CLI_SERVER_WORKERS:
 * one PHP process, which handles one request at a time (the fewest workers a host can
 * have). Same files and database as the suite's server, on its own port; the site's URL
 * follows the port (wp-config.php reads it from SLUICE_WP_URL), so pages, REST URLs and
 * direct-chat tickets name this origin.
 */
export async function startSingleWorkerWordPress(
  siteDir: string,
  port: number,
  logFile: string,
): Promise<SingleWorkerWordPress> {
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, [siteUrlVariable]: url };
  delete env.PHP_CLI_SERVER_WORKERS;
  const logFd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn("php", phpServerArgs(siteDir, port), {
      cwd: siteDir,
      env,
      stdio: ["ignore", logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`php -S stopped:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
    try {
      const response = await fetch(`${url}/wp-login.php`, {
        redirect: "manual",
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      if (response.status < 500) return { url, logFile, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the single-worker WordPress did not answer at ${url} in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
