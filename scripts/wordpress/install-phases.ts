import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { run } from "./commands.ts";
import { phpDir, privateDir } from "./paths.ts";
import { siteUrlVariable } from "./wp-config.ts";

export interface InstallConfig {
  siteDir: string;
  siteUrl: string;
  title: string;
  adminUser: string;
  adminPassword: string;
  adminEmail: string;
  plugins: { file: string; silent: boolean }[];
  page: { title: string; slug: string; content: string };
}

export type InstallPhase = "install" | "activate" | "content";

const resultMarker = "SLUICE_RESULT ";

/** Runs one phase of php/install.php and returns the JSON it reports. */
export async function runInstallPhase(
  phase: InstallPhase,
  config: InstallConfig,
  debugLog: string,
): Promise<Record<string, unknown>> {
  const configFile = path.join(privateDir(config.siteDir), "install.json");
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
  const env = { ...process.env };
  delete env[siteUrlVariable];
  const logSizeBefore = existsSync(debugLog) ? readFileSync(debugLog).length : 0;
  try {
    const { stdout } = await run(
      "php",
      ["-d", "display_errors=stderr", path.join(phpDir, "install.php"), phase, configFile],
      { cwd: config.siteDir, env },
    );
    const line = stdout.split("\n").find((candidate) => candidate.startsWith(resultMarker));
    if (!line) throw new Error(`install.php ${phase} reported no result:\n${stdout.slice(-2000)}`);
    return JSON.parse(line.slice(resultMarker.length)) as Record<string, unknown>;
  } catch (error) {
    const logged = existsSync(debugLog)
      ? readFileSync(debugLog).subarray(logSizeBefore).toString("utf8").trim()
      : "";
    const detail = logged ? `\nPHP's debug log (${debugLog}):\n${logged.slice(-3000)}` : "";
    throw new Error(`WordPress ${phase} step failed: ${(error as Error).message}${detail}`);
  } finally {
    rmSync(configFile, { force: true });
  }
}
