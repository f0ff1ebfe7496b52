/**
 * Rewrites plugin/includes/class-error-codes.php from contract/error-codes.ts:
 *   node --import tsx scripts/contract/write-php.ts
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PHP_TABLE_PATH, renderErrorCodesPhp } from "./php-table.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
writeFileSync(path.join(repoRoot, PHP_TABLE_PATH), renderErrorCodesPhp());
console.log(`Wrote ${PHP_TABLE_PATH}`);
