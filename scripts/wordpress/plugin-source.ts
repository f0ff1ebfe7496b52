import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The main file of a plugin folder: a top-level PHP file whose header has
 * "Plugin Name:", as WordPress itself looks for it. Undefined when there is none.
 */
export function findMainPluginFile(pluginSource: string): string | undefined {
  if (!existsSync(pluginSource) || !statSync(pluginSource).isDirectory()) return undefined;
  const candidates = readdirSync(pluginSource)
    .filter((name) => name.endsWith(".php"))
    .sort();
  return candidates.find((name) => {
    const head = readFileSync(path.join(pluginSource, name), "utf8").slice(0, 8192);
    return /^[ \t/*#@]*Plugin Name:/im.test(head);
  });
}
