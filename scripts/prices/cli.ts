/**
 * Writes server/pricing/price-table.json from litellm's price file.
 *
 *   npm run prices                                   # the snapshot in ../shared/vendor/litellm
 *   npm run prices -- --source path/to/new.json      # a newer litellm file
 *   npm run prices -- --allow-removals               # accept models or prices that disappear
 *
 * This is the only code that reads ../shared; the runtime reads the committed table.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type PriceTable, parsePriceTable } from "../../server/pricing/table.ts";
import {
  buildPriceTable,
  diffTables,
  findLostPrices,
  stringifySorted,
  summarizeTable,
} from "./generate.ts";
import { convertLitellm } from "./litellm.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEFAULT_SOURCE = resolve(
  REPO_ROOT,
  "../shared/vendor/litellm/model_prices_and_context_window.json",
);
const DEFAULT_OUT = resolve(REPO_ROOT, "server/pricing/price-table.json");

const USAGE = `usage: npm run prices -- [--source FILE] [--out FILE] [--allow-removals]
  --source FILE      litellm model_prices_and_context_window.json (default: ${DEFAULT_SOURCE})
  --out FILE         table to write (default: ${DEFAULT_OUT})
  --allow-removals   write even if models or prices of the current table would be lost`;

function main(): number {
  const { values } = parseArgs({
    options: {
      source: { type: "string" },
      out: { type: "string" },
      "allow-removals": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const sourcePath = resolve(values.source ?? DEFAULT_SOURCE);
  const outPath = resolve(values.out ?? DEFAULT_OUT);
  const allowRemovals = values["allow-removals"] === true;

  if (!existsSync(sourcePath)) {
    console.error(`price source not found: ${sourcePath}\n${USAGE}`);
    return 2;
  }
  const sourceBytes = readFileSync(sourcePath);
  const conversion = convertLitellm(JSON.parse(sourceBytes.toString("utf8")));
  const table = buildPriceTable(conversion, {
    sha256: createHash("sha256").update(sourceBytes).digest("hex"),
    generatedAt: new Date().toISOString().slice(0, 10),
  });

  console.log(`prices from ${sourcePath}`);
  for (const line of summarizeTable(table, conversion)) console.log(line);

  const previous = readPreviousTable(outPath, allowRemovals);
  if (previous) {
    const losses = findLostPrices(previous, table);
    if (losses.length > 0) {
      const verdict = allowRemovals ? "allowed by --allow-removals" : "refusing to write";
      console.error(`\nthe new table loses ${losses.length} price(s) of ${outPath} (${verdict}):`);
      for (const loss of losses) console.error(`  ${loss}`);
      if (!allowRemovals) {
        console.error("\nrerun with --allow-removals if these removals are intended.");
        return 1;
      }
    }
    const changes = diffTables(previous, table);
    console.log(`changes: ${changes.added.length} added, ${changes.repriced.length} repriced`);
  }

  writeFileSync(outPath, stringifySorted(table));
  console.log(`wrote ${outPath}`);
  return 0;
}

function readPreviousTable(path: string, allowRemovals: boolean): PriceTable | null {
  if (!existsSync(path)) return null;
  try {
    return parsePriceTable(JSON.parse(readFileSync(path, "utf8")), path);
  } catch (error) {
    if (!allowRemovals) throw error;
    console.error(`ignoring unreadable current table (--allow-removals): ${String(error)}`);
    return null;
  }
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
