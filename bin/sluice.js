#!/usr/bin/env node
// The `sluice` command. Runs the bundled gateway (dist/, made by `npm run
// build:server`) when it is at least as new as every source file in server/;
// otherwise runs the TypeScript sources through tsx.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/sluice.js", import.meta.url);
const sources = fileURLToPath(new URL("../server/", import.meta.url));

function newestSource(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = `${folder}${entry.name}`;
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestSource(`${path}/`) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

function builtIsFresh() {
  try {
    return statSync(built).mtimeMs >= newestSource(sources);
  } catch {
    return false;
  }
}

let cli;
if (builtIsFresh()) {
  cli = await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import("../server/cli.ts");
}
await cli.run(process.argv.slice(2));
