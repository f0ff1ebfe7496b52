#!/usr/bin/env node
// The `sluice` command: loads the TypeScript gateway through tsx and runs its CLI.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../server/cli.ts");
await run(process.argv.slice(2));
