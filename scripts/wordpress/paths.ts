import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this folder). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Port of the local site unless told otherwise (the gateway's default is 8787). */
export const defaultPort = 8881;

/** Downloads and extracted trees reused across runs (git-ignored). */
export const defaultCacheDir = path.join(repoRoot, ".cache");

/** Where the local site is built unless told otherwise. */
export const defaultSiteDir = path.join(defaultCacheDir, "wp-site");

/** The WordPress plugin as it ships, copied into the site. */
export const defaultPluginSource = path.join(repoRoot, "plugin");

/** PHP files of this tool: the router, the installer, the must-use plugin. */
export const phpDir = fileURLToPath(new URL("./php/", import.meta.url));

/** Private files of a site (state, pid, server log), hidden from HTTP by the router. */
export function privateDir(siteDir: string): string {
  return path.join(siteDir, ".sluice");
}
