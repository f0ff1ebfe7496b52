import { existsSync } from "node:fs";
import path from "node:path";
import { run } from "../commands.ts";

const installHint =
  "run `bash scripts/install-system-deps.sh` as root (it installs nginx php-fpm php-mysql mariadb-server)";

/** The daemons and clients of the production stack, as absolute paths. */
export interface StackTools {
  nginx: string;
  phpFpm: string;
  mariadbd: string;
  mariadbInstallDb: string;
  mariadb: string;
}

/** Debian puts daemons in /usr/sbin, which a non-root PATH often lacks. */
function searchPath(): string[] {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  for (const extra of ["/usr/sbin", "/sbin", "/usr/local/sbin"]) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  return dirs;
}

export function which(name: string): string | undefined {
  for (const dir of searchPath()) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** php-fpm of the same PHP as the `php` command (php-fpm8.2 on Debian 12). */
async function findPhpFpm(): Promise<string | undefined> {
  try {
    const { stdout } = await run("php", [
      "-r",
      'echo PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION;',
    ]);
    const matching = which(`php-fpm${stdout.trim()}`);
    if (matching) return matching;
  } catch {
    // No PHP CLI: the generic name below, else the error names the install script.
  }
  return which("php-fpm");
}

/** Finds every tool, or fails naming each missing one and the script that installs it. */
export async function findStackTools(): Promise<StackTools> {
  const found = {
    nginx: which("nginx"),
    phpFpm: await findPhpFpm(),
    mariadbd: which("mariadbd"),
    mariadbInstallDb: which("mariadb-install-db"),
    mariadb: which("mariadb"),
  };
  const missing = Object.entries({
    nginx: found.nginx,
    "php-fpm (php8.2-fpm)": found.phpFpm,
    mariadbd: found.mariadbd,
    "mariadb-install-db": found.mariadbInstallDb,
    "mariadb (client)": found.mariadb,
  })
    .filter(([, location]) => location === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(`The production stack needs ${missing.join(", ")}: ${installHint}`);
  }
  return found as StackTools;
}

/** True when this process runs as root: the daemons then need to be told that is intended. */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}
