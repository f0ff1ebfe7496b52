import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";
import { chromiumPath, repoRoot } from "./state.ts";

const installHint = "run `bash scripts/install-system-deps.sh` (as root)";

/** Files of plugin/build that the suite needs: the block and the admin screen. */
const buildFiles = ["chat/block.json", "chat/view.js", "chat/index.js", "admin/index.js"];

/**
 * Fails loudly, naming the fix, when something the suite needs is missing: the
 * block's build, PHP, or Chromium. Never skips.
 */
export function checkPrerequisites(): void {
  const problems: string[] = [];

  const missingBuild = buildFiles.filter(
    (file) => !existsSync(path.join(repoRoot, "plugin", "build", file)),
  );
  if (missingBuild.length > 0) {
    problems.push(
      `The Chat block is not built (plugin/build lacks ${missingBuild.join(", ")}): run npm run build`,
    );
  }

  const php = spawnSync("php", ["-r", "echo PHP_VERSION;"], { encoding: "utf8" });
  if (php.error || php.status !== 0) {
    problems.push(
      `PHP is missing (php -r failed: ${php.error?.message ?? php.stderr}): ${installHint}`,
    );
  }

  let chromiumOk = true;
  try {
    accessSync(chromiumPath, constants.X_OK);
  } catch {
    chromiumOk = false;
  }
  if (!chromiumOk) {
    problems.push(
      `Chromium is missing at ${chromiumPath}: ${installHint} (or point SLUICE_E2E_CHROMIUM at a Chromium binary)`,
    );
  }

  if (problems.length > 0) {
    throw new Error(`The end-to-end tests cannot run:\n- ${problems.join("\n- ")}`);
  }
}
