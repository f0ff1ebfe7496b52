import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { run } from "./commands.ts";
import { publishTree, removeTree, uniqueSuffix } from "./files.ts";
import { type Logger, timedStep } from "./log.ts";

/**
 * The SQLite Database Integration plugin (the one WordPress Playground uses) ships
 * inside this npm package as sqlite-database-integration.zip. Major 3 carries
 * plugin 3.x, which needs WordPress 6.4+.
 */
const playgroundCliSpec = "@wp-playground/cli@3";
const zipInPackage = "package/sqlite-database-integration.zip";

export interface SqlitePlugin {
  dir: string;
  version: string;
}

/** Returns the cached plugin folder, fetching it with `npm pack` the first time. */
export async function ensureSqlitePlugin(cacheDir: string, log: Logger): Promise<SqlitePlugin> {
  const pluginDir = path.join(cacheDir, "sqlite-database-integration");
  if (existsSync(path.join(pluginDir, "load.php"))) {
    const version = readPluginVersion(pluginDir);
    log(`SQLite Database Integration ${version}: cached in ${pluginDir}`);
    return { dir: pluginDir, version };
  }
  // Private to this call, so that concurrent first runs do not collide.
  const workDir = path.join(cacheDir, `sqlite-download.${uniqueSuffix()}`);
  mkdirSync(workDir, { recursive: true });
  try {
    await timedStep(log, `Downloading ${playgroundCliSpec} from npm (about 0.4 MB)`, () =>
      run("npm", ["pack", playgroundCliSpec, "--silent", "--pack-destination", workDir], {
        cwd: workDir,
      }),
    );
    const tarball = readdirSync(workDir).find((name) => name.endsWith(".tgz"));
    if (!tarball) throw new Error(`npm pack ${playgroundCliSpec} produced no tarball`);
    await run("tar", ["-xzf", tarball, zipInPackage], { cwd: workDir });
    const unzipped = path.join(workDir, "unzipped");
    await run("unzip", ["-q", "-o", zipInPackage, "-d", unzipped], { cwd: workDir });
    const folder = readdirSync(unzipped).find((name) =>
      existsSync(path.join(unzipped, name, "load.php")),
    );
    if (!folder) throw new Error(`${zipInPackage} in ${tarball} has no folder with load.php`);
    await publishTree(path.join(unzipped, folder), pluginDir, "load.php");
  } finally {
    await removeTree(workDir);
  }
  const version = readPluginVersion(pluginDir);
  log(`SQLite Database Integration ${version}: cached in ${pluginDir}`);
  return { dir: pluginDir, version };
}

function readPluginVersion(pluginDir: string): string {
  const header = readFileSync(path.join(pluginDir, "load.php"), "utf8");
  return /^\s*\*\s*Version:\s*(\S+)/m.exec(header)?.[1] ?? "unknown";
}
